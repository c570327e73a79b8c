//! Passwords: sign-up, sign-in and change, each counted by the limits.

use studio_core::{ids::new_id, time::now};

use crate::{
    auth::Auth,
    store::UserRow,
    tokens::AccessClaims,
    types::*,
    validation::{check_password, clean_name, normalize_email},
    AuthError,
};

impl Auth {
    pub(crate) async fn sign_up(
        &self,
        registration: Registration,
        client: ClientInfo,
    ) -> Result<AuthResponse, AuthError> {
        let email = normalize_email(&registration.email)?;
        let network = crate::limits::network_of(client.ip.as_deref());
        self.limits.attempt("register", &[&network])?;
        check_password("password", &registration.password)?;
        let first_name = clean_name("firstName", registration.first_name)?.unwrap_or_default();
        let last_name = clean_name("lastName", registration.last_name)?.unwrap_or_default();
        if self.store.user_by_email(&email).await?.is_some() {
            return Err(AuthError::EmailTaken);
        }
        let created_at = now();
        let user = UserRow {
            id: new_id(),
            email,
            password_hash: Some(self.hashing.hash(registration.password).await?),
            first_name,
            last_name,
            avatar_url: None,
            created_at,
            updated_at: created_at,
            email_verified: false,
            role: crate::Role::User.as_str().to_owned(),
            disabled_at: None,
        };
        match self.store.insert_user(&user).await {
            Err(error) if error.is_unique_violation() => return Err(AuthError::EmailTaken),
            other => other?,
        }
        self.mail_verification(&user).await?;
        self.open_session(user, client).await
    }

    pub(crate) async fn sign_in_with_password(
        &self,
        credentials: Credentials,
        client: ClientInfo,
    ) -> Result<AuthResponse, AuthError> {
        // A malformed email cannot match an account: same answer as a wrong password.
        let email = normalize_email(&credentials.email)
            .unwrap_or_else(|_| credentials.email.trim().to_lowercase());
        let attempt = self.limits.begin(&email, client.ip.as_deref())?;
        tokio::time::sleep(attempt.delay).await;
        let user = self.store.user_by_email(&email).await?;
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        let valid = self
            .hashing
            .verify(credentials.password, stored, &self.dummy_hash)
            .await?;
        match user {
            Some(user) if valid => {
                attempt.succeeded();
                self.open_session(user, client).await
            }
            _ => Err(AuthError::InvalidCredentials),
        }
    }

    pub(crate) async fn replace_password(
        &self,
        caller: &AccessClaims,
        change: ChangePassword,
        client: ClientInfo,
    ) -> Result<(), AuthError> {
        check_password("newPassword", &change.new_password)?;
        let user = self.existing_user(&caller.sub).await?;
        if let Some(stored) = user.password_hash {
            let attempt = self.limits.begin(&user.id, client.ip.as_deref())?;
            tokio::time::sleep(attempt.delay).await;
            let current = change.current_password.unwrap_or_default();
            if !self
                .hashing
                .verify(current, Some(stored), &self.dummy_hash)
                .await?
            {
                return Err(AuthError::WrongCurrentPassword);
            }
            attempt.succeeded();
        }
        let hash = self.hashing.hash(change.new_password).await?;
        self.store.set_password(&user.id, &hash, now()).await?;
        self.end_sessions(&user.id, Some(&caller.sid)).await
    }
}
