//! The accounts service the gateway calls; each operation lives with its kind (`credentials`,
//! `rotation`, `email`), this is the surface.

use async_trait::async_trait;
use studio_core::time::now;

use crate::{auth::Auth, tokens::AccessClaims, types::*, validation::clean_name, AuthError};

/// What a throttled request is, for [`AuthService::throttle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttled {
    OAuthStart,
}

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
    /// Ends the caller's session and the one `refresh_token` belongs to; either suffices.
    async fn logout(
        &self,
        caller: Option<&AccessClaims>,
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
        client: ClientInfo,
    ) -> Result<(), AuthError>;
    async fn sessions(&self, caller: &AccessClaims) -> Result<Vec<SessionInfo>, AuthError>;
    async fn revoke_session(
        &self,
        caller: &AccessClaims,
        session_id: &str,
    ) -> Result<(), AuthError>;
    /// Opens a session for a user authenticated some other way (OAuth).
    async fn sign_in(&self, user_id: &str, client: ClientInfo) -> Result<AuthResponse, AuthError>;
    async fn verify_email(&self, token: &str) -> Result<User, AuthError>;
    async fn resend_verification(&self, caller: &AccessClaims) -> Result<(), AuthError>;
    /// Mails a reset link if the address has an account; answers the same either way.
    fn forgot_password(&self, email: &str, client: &ClientInfo) -> Result<(), AuthError>;
    /// Returns the account whose password was reset.
    async fn reset_password(&self, token: &str, password: String) -> Result<String, AuthError>;
    /// A verified provider identity proved the address of an unverified account: its password
    /// is removed and every session ends (the caller revokes what else the account holds).
    async fn hand_over(&self, user_id: &str) -> Result<(), AuthError>;
    /// Counts one request of `what` from `client`; refused past the limit.
    fn throttle(&self, what: Throttled, client: &ClientInfo) -> Result<(), AuthError>;
}

#[async_trait]
impl AuthService for Auth {
    async fn register(
        &self,
        registration: Registration,
        client: ClientInfo,
    ) -> Result<AuthResponse, AuthError> {
        self.sign_up(registration, client).await
    }

    async fn login(
        &self,
        credentials: Credentials,
        client: ClientInfo,
    ) -> Result<AuthResponse, AuthError> {
        self.sign_in_with_password(credentials, client).await
    }

    async fn refresh(&self, refresh_token: &str) -> Result<AuthResponse, AuthError> {
        self.rotate(refresh_token).await
    }

    async fn logout(
        &self,
        caller: Option<&AccessClaims>,
        refresh_token: Option<&str>,
    ) -> Result<(), AuthError> {
        self.sign_out(caller, refresh_token).await
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
        client: ClientInfo,
    ) -> Result<(), AuthError> {
        self.replace_password(caller, change, client).await
    }

    async fn sessions(&self, caller: &AccessClaims) -> Result<Vec<SessionInfo>, AuthError> {
        let rows = self.store.live_sessions(&caller.sub, now()).await?;
        Ok(rows
            .into_iter()
            .map(|row| row.into_info(Some(&caller.sid)))
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

    async fn verify_email(&self, token: &str) -> Result<User, AuthError> {
        self.confirm_email(token).await
    }

    async fn resend_verification(&self, caller: &AccessClaims) -> Result<(), AuthError> {
        self.resend(caller).await
    }

    fn forgot_password(&self, email: &str, client: &ClientInfo) -> Result<(), AuthError> {
        self.forgot(email, client)
    }

    async fn reset_password(&self, token: &str, password: String) -> Result<String, AuthError> {
        self.reset(token, password).await
    }

    async fn hand_over(&self, user_id: &str) -> Result<(), AuthError> {
        self.hand_over_account(user_id).await
    }

    fn throttle(&self, what: Throttled, client: &ClientInfo) -> Result<(), AuthError> {
        let network = crate::limits::network_of(client.ip.as_deref());
        let action = match what {
            Throttled::OAuthStart => "oauth-start",
        };
        Ok(self.limits.attempt(action, &[&network])?)
    }
}
