//! What operators do to accounts (the admin API and `studio-gateway admin`): list them, change
//! a role, disable or enable, delete, and create one without a sign-up. One rule binds them
//! all: no change may leave the studio without an enabled admin.

use async_trait::async_trait;
use studio_core::{ids::new_id, time::now, Page, PageRequest};

use crate::{
    auth::Auth,
    store::{UserFilter, UserRow},
    types::{SessionInfo, User},
    validation::{check_password, normalize_email},
    AuthError, Role,
};

/// 144 random bits in 24 URL-safe characters: printed once, for the operator to pass on.
fn generate_password() -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    URL_SAFE_NO_PAD.encode(studio_core::secrets::random_bytes(18))
}

#[async_trait]
pub trait UserAdmin: Send + Sync {
    async fn users(&self, filter: UserFilter, page: PageRequest) -> Result<Page<User>, AuthError>;
    /// Any account by id (`NotFound` if there is none).
    async fn user(&self, id: &str) -> Result<User, AuthError>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, AuthError>;
    /// The account's live sign-in sessions (none is "current" here).
    async fn user_sessions(&self, id: &str) -> Result<Vec<SessionInfo>, AuthError>;
    async fn set_role(&self, id: &str, role: Role) -> Result<User, AuthError>;
    /// Disabling also ends every session; the caller revokes the account's API keys.
    async fn set_disabled(&self, id: &str, disabled: bool) -> Result<User, AuthError>;
    /// Ends every session and deletes the account with all it owns.
    async fn delete_user(&self, id: &str) -> Result<(), AuthError>;
    /// Creates a verified account; without a password one is generated and returned.
    async fn create_account(
        &self,
        email: &str,
        password: Option<String>,
        role: Role,
    ) -> Result<(User, Option<String>), AuthError>;
    /// Whether the account is, right now, an enabled admin: a demotion counts at once, not when
    /// the caller's access token expires.
    async fn is_enabled_admin(&self, id: &str) -> Result<bool, AuthError>;
}

impl Auth {
    async fn target(&self, id: &str) -> Result<UserRow, AuthError> {
        self.store.user(id).await?.ok_or(AuthError::NotFound)
    }

    /// Refuses to take the admin role (or the account) away from the last enabled admin.
    async fn keep_an_admin(&self, target: &UserRow) -> Result<(), AuthError> {
        let is_enabled_admin = target.role == Role::Admin.as_str() && target.disabled_at.is_none();
        if is_enabled_admin && self.store.other_enabled_admins(&target.id).await? == 0 {
            return Err(AuthError::LastAdmin);
        }
        Ok(())
    }
}

#[async_trait]
impl UserAdmin for Auth {
    async fn users(&self, filter: UserFilter, page: PageRequest) -> Result<Page<User>, AuthError> {
        let rows = self.store.users_page(&filter, &page).await?;
        Ok(Page::from_rows(rows, &page, |row| row.id.clone()).map(User::from))
    }

    async fn user(&self, id: &str) -> Result<User, AuthError> {
        Ok(self.target(id).await?.into())
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, AuthError> {
        let email = email.trim().to_lowercase();
        Ok(self.store.user_by_email(&email).await?.map(User::from))
    }

    async fn user_sessions(&self, id: &str) -> Result<Vec<SessionInfo>, AuthError> {
        let rows = self.store.live_sessions(id, now()).await?;
        Ok(rows.into_iter().map(|row| row.into_info(None)).collect())
    }

    async fn set_role(&self, id: &str, role: Role) -> Result<User, AuthError> {
        let target = self.target(id).await?;
        if role == Role::User {
            self.keep_an_admin(&target).await?;
        }
        self.store.set_role(id, role, now()).await?;
        // Access tokens carry the old role until they expire; the admin API re-checks the
        // database, so a demotion there counts at once.
        Ok(self.target(id).await?.into())
    }

    async fn set_disabled(&self, id: &str, disabled: bool) -> Result<User, AuthError> {
        let target = self.target(id).await?;
        if disabled {
            self.keep_an_admin(&target).await?;
        }
        // Disabled first, sessions second: a refresh racing in between finds the account
        // disabled.
        self.store.set_disabled(id, disabled, now()).await?;
        if disabled {
            self.end_sessions(id, None).await?;
        }
        Ok(self.target(id).await?.into())
    }

    async fn delete_user(&self, id: &str) -> Result<(), AuthError> {
        let target = self.target(id).await?;
        self.keep_an_admin(&target).await?;
        self.end_sessions(id, None).await?;
        if self.store.delete_user(id).await? {
            Ok(())
        } else {
            Err(AuthError::NotFound)
        }
    }

    async fn create_account(
        &self,
        email: &str,
        password: Option<String>,
        role: Role,
    ) -> Result<(User, Option<String>), AuthError> {
        let email = normalize_email(email)?;
        let generated = password.is_none().then(generate_password);
        let password = password.or_else(|| generated.clone()).unwrap_or_default();
        check_password("password", &password)?;
        let created_at = now();
        let user = UserRow {
            id: new_id(),
            email,
            password_hash: Some(self.hashing.hash(password).await?),
            first_name: String::new(),
            last_name: String::new(),
            avatar_url: None,
            created_at,
            updated_at: created_at,
            // The operator vouches for the address.
            email_verified: true,
            role: role.as_str().to_owned(),
            disabled_at: None,
        };
        match self.store.insert_user(&user).await {
            Err(error) if error.is_unique_violation() => return Err(AuthError::EmailTaken),
            other => other?,
        }
        Ok((user.into(), generated))
    }

    async fn is_enabled_admin(&self, id: &str) -> Result<bool, AuthError> {
        Ok(self
            .store
            .user(id)
            .await?
            .is_some_and(|u| u.role == Role::Admin.as_str() && u.disabled_at.is_none()))
    }
}
