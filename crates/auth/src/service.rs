//! The accounts service the gateway calls.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;
use studio_core::{ids::new_id, time::now, DbPool};

use crate::{
    password, refresh,
    revocations::RevokedSessions,
    store::{RefreshRow, SessionRow, Store, UserRow},
    tokens::{AccessClaims, AccessTokens},
    types::*,
    validation::{check_password, clean_name, normalize_email},
    AuthError, SignInThrottle,
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
    async fn refresh(
        &self,
        refresh_token: &str,
        client: ClientInfo,
    ) -> Result<AuthResponse, AuthError>;
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

#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub jwt_secret: String,
    pub access_token_minutes: i64,
    pub refresh_token_minutes: i64,
    pub attempts_per_minute: u32,
}

pub struct Auth {
    store: Arc<Store>,
    tokens: AccessTokens,
    revoked: RevokedSessions,
    throttle: SignInThrottle,
    refresh_lifetime: Duration,
    dummy_hash: String,
    _poller: tokio::task::JoinHandle<()>,
}

impl Drop for Auth {
    fn drop(&mut self) {
        self._poller.abort();
    }
}

impl Auth {
    pub async fn new(pool: DbPool, settings: AuthSettings) -> Result<Self, AuthError> {
        let store = Arc::new(Store::new(pool));
        let tokens = AccessTokens::new(
            settings.jwt_secret.as_bytes(),
            settings.access_token_minutes,
        );
        let revoked = RevokedSessions::new(tokens.lifetime_secs);
        let poller = revoked.spawn_poller(store.clone(), tokens.lifetime_secs);
        Ok(Self {
            store,
            revoked,
            tokens,
            throttle: SignInThrottle::new(settings.attempts_per_minute),
            refresh_lifetime: Duration::minutes(settings.refresh_token_minutes),
            dummy_hash: password::hash(refresh::generate()).await?,
            _poller: poller,
        })
    }

    fn throttle(&self, client: &ClientInfo, email: &str) -> Result<(), AuthError> {
        let mut keys = vec![format!("email:{email}")];
        if let Some(ip) = &client.ip {
            keys.push(format!("ip:{ip}"));
        }
        self.throttle
            .attempt(&keys)
            .map_err(|limited| AuthError::RateLimited {
                retry_after_secs: limited.retry_after_secs,
            })
    }

    fn new_refresh_row(&self, session_id: &str) -> (String, RefreshRow) {
        let token = refresh::generate();
        let created_at = now();
        let row = RefreshRow {
            id: new_id(),
            session_id: session_id.to_owned(),
            token_hash: refresh::digest(&token),
            created_at,
            expires_at: created_at + self.refresh_lifetime,
            used_at: None,
        };
        (token, row)
    }

    fn respond(
        &self,
        user: UserRow,
        session_id: &str,
        refresh_token: String,
    ) -> Result<AuthResponse, AuthError> {
        Ok(AuthResponse {
            access_token: self.tokens.issue(&user.id, session_id)?,
            refresh_token,
            token_type: "Bearer",
            expires_in: self.tokens.lifetime_secs,
            user: user.into(),
        })
    }

    async fn open_session(
        &self,
        user: UserRow,
        client: ClientInfo,
    ) -> Result<AuthResponse, AuthError> {
        let started = now();
        let session = SessionRow {
            id: new_id(),
            user_id: user.id.clone(),
            user_agent: client.user_agent.map(|ua| ua.chars().take(512).collect()),
            ip_address: client.ip,
            created_at: started,
            last_used_at: started,
            expires_at: started + self.refresh_lifetime,
            revoked_at: None,
        };
        let (token, row) = self.new_refresh_row(&session.id);
        self.store.create_session(&session, &row).await?;
        self.respond(user, &session.id, token)
    }

    async fn existing_user(&self, user_id: &str) -> Result<UserRow, AuthError> {
        self.store
            .user(user_id)
            .await?
            .ok_or(AuthError::InvalidToken)
    }

    async fn end_session(&self, user_id: &str, session_id: &str) -> Result<bool, AuthError> {
        let revoked = self
            .store
            .revoke_session(user_id, session_id, now())
            .await?;
        self.revoked.insert(session_id);
        Ok(revoked)
    }
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

    async fn refresh(
        &self,
        refresh_token: &str,
        _client: ClientInfo,
    ) -> Result<AuthResponse, AuthError> {
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
