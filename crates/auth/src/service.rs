//! The accounts service the gateway calls.

use async_trait::async_trait;
use studio_core::{ids::new_id, time::now};

use crate::{
    auth::Auth,
    password, refresh,
    store::UserRow,
    tokens::AccessClaims,
    types::*,
    validation::{check_password, clean_name, normalize_email},
    AuthError,
};

#[async_trait]
pub trait AuthService: Send + Sync {
    async fn register(
        &self,
        registration: Registration,
        client: ClientInfo,
    ) -> Result<AuthResponse, AuthError>;
    async fn login(
        &self,
        credentials: Credentials,
        client: ClientInfo,
    ) -> Result<AuthResponse, AuthError>;
    async fn refresh(&self, refresh_token: &str) -> Result<AuthResponse, AuthError>;
    /// Ends the caller's session (and the one `refresh_token` belongs to, if it is theirs).
    async fn logout(
        &self,
        caller: &AccessClaims,
        refresh_token: Option<&str>,
    ) -> Result<(), AuthError>;
    /// Verifies an access token without touching the database on the common path.
    fn verify_access_token(&self, token: &str) -> Result<AccessClaims, AuthError>;
    async fn user(&self, user_id: &str) -> Result<User, AuthError>;
    async fn update_profile(&self, user_id: &str, update: ProfileUpdate)
        -> Result<User, AuthError>;
    /// Changes (or first sets) the password and ends every other session of the user.
    async fn change_password(
        &self,
        caller: &AccessClaims,
        change: ChangePassword,
    ) -> Result<(), AuthError>;
    async fn sessions(&self, caller: &AccessClaims) -> Result<Vec<SessionInfo>, AuthError>;
    async fn revoke_session(
        &self,
        caller: &AccessClaims,
        session_id: &str,
    ) -> Result<(), AuthError>;
    /// Opens a session for a user authenticated some other way (OAuth).
    async fn sign_in(&self, user_id: &str, client: ClientInfo) -> Result<AuthResponse, AuthError>;
}

#[async_trait]
impl AuthService for Auth {
    async fn register(
        &self,
        registration: Registration,
        client: ClientInfo,
    ) -> Result<AuthResponse, AuthError> {
        let email = normalize_email(&registration.email)?;
        self.throttle(&client, &email)?;
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
            password_hash: Some(password::hash(registration.password).await?),
            first_name,
            last_name,
            avatar_url: None,
            created_at,
            updated_at: created_at,
        };
        match self.store.insert_user(&user).await {
            Err(error) if error.is_unique_violation() => return Err(AuthError::EmailTaken),
            other => other?,
        }
        self.open_session(user, client).await
    }

    async fn login(
        &self,
        credentials: Credentials,
        client: ClientInfo,
    ) -> Result<AuthResponse, AuthError> {
        // A malformed email cannot match an account: same answer as a wrong password.
        let email = normalize_email(&credentials.email)
            .unwrap_or_else(|_| credentials.email.trim().to_lowercase());
        self.throttle(&client, &email)?;
        let user = self.store.user_by_email(&email).await?;
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        let valid = password::verify(credentials.password, stored, &self.dummy_hash).await?;
        match user {
            Some(user) if valid => self.open_session(user, client).await,
            _ => Err(AuthError::InvalidCredentials),
        }
    }

    async fn refresh(&self, refresh_token: &str) -> Result<AuthResponse, AuthError> {
        let (used, session) = self
            .store
            .refresh_token(&refresh::digest(refresh_token))
            .await?
            .ok_or(AuthError::InvalidRefreshToken)?;
        let current = now();
        if used.used_at.is_some() {
            // A spent token came back: someone holds a copy. End the whole family.
            tracing::warn!(session = %session.id, "refresh token reused; revoking its session");
            self.end_session(&session.user_id, &session.id).await?;
            return Err(AuthError::InvalidRefreshToken);
        }
        if session.revoked_at.is_some()
            || session.expires_at <= current
            || used.expires_at <= current
        {
            return Err(AuthError::InvalidRefreshToken);
        }
        let (token, next) = self.new_refresh_row(&session.id);
        if !self.store.rotate(&used, &next, current).await? {
            self.end_session(&session.user_id, &session.id).await?;
            return Err(AuthError::InvalidRefreshToken);
        }
        let user = self.existing_user(&session.user_id).await?;
        self.respond(user, &session.id, token)
    }

    async fn logout(
        &self,
        caller: &AccessClaims,
        refresh_token: Option<&str>,
    ) -> Result<(), AuthError> {
        self.end_session(&caller.sub, &caller.sid).await?;
        if let Some(token) = refresh_token {
            if let Some((_, session)) = self.store.refresh_token(&refresh::digest(token)).await? {
                if session.user_id == caller.sub {
                    self.end_session(&caller.sub, &session.id).await?;
                }
            }
        }
        Ok(())
    }

    fn verify_access_token(&self, token: &str) -> Result<AccessClaims, AuthError> {
        let claims = self.tokens.verify(token)?;
        if self.revoked.contains(&claims.sid) {
            return Err(AuthError::InvalidToken);
        }
        Ok(claims)
    }

    async fn user(&self, user_id: &str) -> Result<User, AuthError> {
        Ok(self.existing_user(user_id).await?.into())
    }

    async fn update_profile(
        &self,
        user_id: &str,
        update: ProfileUpdate,
    ) -> Result<User, AuthError> {
        let first_name = clean_name("firstName", update.first_name)?;
        let last_name = clean_name("lastName", update.last_name)?;
        self.store
            .update_names(user_id, first_name, last_name, now())
            .await?;
        self.user(user_id).await
    }

    async fn change_password(
        &self,
        caller: &AccessClaims,
        change: ChangePassword,
    ) -> Result<(), AuthError> {
        check_password("newPassword", &change.new_password)?;
        let user = self.existing_user(&caller.sub).await?;
        if let Some(stored) = user.password_hash {
            let current = change.current_password.unwrap_or_default();
            if !password::verify(current, Some(stored), &self.dummy_hash).await? {
                return Err(AuthError::WrongCurrentPassword);
            }
        }
        let hash = password::hash(change.new_password).await?;
        self.store.set_password(&user.id, &hash, now()).await?;
        for id in self
            .store
            .revoke_other_sessions(&user.id, &caller.sid, now())
            .await?
        {
            self.revoked.insert(&id);
        }
        Ok(())
    }

    async fn sessions(&self, caller: &AccessClaims) -> Result<Vec<SessionInfo>, AuthError> {
        let rows = self.store.live_sessions(&caller.sub, now()).await?;
        Ok(rows
            .into_iter()
            .map(|row| SessionInfo {
                current: row.id == caller.sid,
                id: row.id,
                user_agent: row.user_agent,
                ip_address: row.ip_address,
                created_at: row.created_at,
                last_used_at: row.last_used_at,
                expires_at: row.expires_at,
            })
            .collect())
    }

    async fn revoke_session(
        &self,
        caller: &AccessClaims,
        session_id: &str,
    ) -> Result<(), AuthError> {
        if self.end_session(&caller.sub, session_id).await? {
            Ok(())
        } else {
            Err(AuthError::NotFound)
        }
    }

    async fn sign_in(&self, user_id: &str, client: ClientInfo) -> Result<AuthResponse, AuthError> {
        let user = self.store.user(user_id).await?.ok_or(AuthError::NotFound)?;
        self.open_session(user, client).await
    }
}
