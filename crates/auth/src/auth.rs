//! `Auth`: the accounts service's state and the steps its operations share (opening a
//! session, issuing tokens, ending a session, throttling sign-ins).

use std::sync::Arc;

use chrono::Duration;
use studio_core::{ids::new_id, time::now, DbPool};

use crate::{
    password, refresh,
    revocations::RevokedSessions,
    store::{RefreshRow, SessionRow, Store, UserRow},
    tokens::AccessTokens,
    types::*,
    AuthError, SignInThrottle,
};

#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub jwt_secret: String,
    pub access_token_minutes: i64,
    pub refresh_token_minutes: i64,
    pub attempts_per_minute: u32,
}

pub struct Auth {
    pub(crate) store: Arc<Store>,
    pub(crate) tokens: AccessTokens,
    pub(crate) revoked: RevokedSessions,
    throttle: SignInThrottle,
    refresh_lifetime: Duration,
    pub(crate) dummy_hash: String,
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

    pub(crate) fn throttle(&self, client: &ClientInfo, email: &str) -> Result<(), AuthError> {
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

    pub(crate) fn new_refresh_row(&self, session_id: &str) -> (String, RefreshRow) {
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

    pub(crate) fn respond(
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

    pub(crate) async fn open_session(
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

    pub(crate) async fn existing_user(&self, user_id: &str) -> Result<UserRow, AuthError> {
        self.store
            .user(user_id)
            .await?
            .ok_or(AuthError::InvalidToken)
    }

    pub(crate) async fn end_session(
        &self,
        user_id: &str,
        session_id: &str,
    ) -> Result<bool, AuthError> {
        let revoked = self
            .store
            .revoke_session(user_id, session_id, now())
            .await?;
        self.revoked.insert(session_id);
        Ok(revoked)
    }
}
