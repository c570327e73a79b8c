//! `Auth`: the accounts service's state and the steps its operations share (opening a
//! session, issuing tokens, ending sessions, counting attempts).

use std::{sync::Arc, time::Duration};

use studio_core::{ids::new_id, time::now, DbPool};

use crate::{
    janitor::Janitor,
    limits::{Limits, RateLimited},
    mail::{MailSettings, Mailer},
    password::Hashing,
    refresh,
    revocations::RevokedSessions,
    store::{RefreshRow, SessionRow, Store, UserRow},
    tokens::AccessTokens,
    types::*,
    AuthError, Role,
};

#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub jwt_secret: String,
    pub access_token_minutes: i64,
    pub refresh_token_minutes: i64,
    pub attempts_per_minute: u32,
    /// How long a rotated refresh token still returns its successor (0: never).
    pub refresh_grace: Duration,
    pub mail: MailSettings,
    /// How often the janitor purges expired rows.
    pub janitor_interval: Duration,
    /// Verified addresses that become admins when they sign up or sign in (lowercase).
    pub admin_emails: Vec<String>,
    /// How long the janitor keeps audit events.
    pub audit_retention_days: i64,
}

pub struct Auth {
    pub(crate) store: Arc<Store>,
    pub(crate) tokens: AccessTokens,
    pub(crate) revoked: RevokedSessions,
    pub(crate) limits: Limits,
    pub(crate) hashing: Hashing,
    pub(crate) mailer: Arc<Mailer>,
    pub(crate) refresh_grace: chrono::Duration,
    refresh_lifetime: chrono::Duration,
    pub(crate) dummy_hash: String,
    admin_emails: Vec<String>,
    tasks: [tokio::task::JoinHandle<()>; 2],
}

impl Drop for Auth {
    fn drop(&mut self) {
        self.tasks.iter().for_each(tokio::task::JoinHandle::abort);
    }
}

impl From<RateLimited> for AuthError {
    fn from(limited: RateLimited) -> Self {
        AuthError::RateLimited {
            retry_after_secs: limited.retry_after_secs,
        }
    }
}

impl Auth {
    pub async fn new(pool: DbPool, settings: AuthSettings) -> Result<Self, AuthError> {
        let janitor = Janitor::new(pool.clone(), settings.refresh_token_minutes)
            .keep_audit_events_for(settings.audit_retention_days)
            .spawn(settings.janitor_interval.max(Duration::from_secs(1)));
        let store = Arc::new(Store::new(pool));
        let tokens = AccessTokens::new(
            settings.jwt_secret.as_bytes(),
            settings.access_token_minutes,
        );
        let revoked = RevokedSessions::new(tokens.lifetime_secs);
        let poller = revoked.spawn_poller(store.clone(), tokens.lifetime_secs);
        let hashing = Hashing::sized_from_cores();
        let dummy_hash = hashing.hash(refresh::generate()).await?;
        Ok(Self {
            store,
            revoked,
            tokens,
            limits: Limits::new(settings.attempts_per_minute),
            hashing,
            mailer: Arc::new(Mailer::new(settings.mail)?),
            refresh_grace: chrono::Duration::from_std(settings.refresh_grace)
                .unwrap_or(chrono::Duration::zero()),
            refresh_lifetime: chrono::Duration::minutes(settings.refresh_token_minutes),
            dummy_hash,
            admin_emails: settings
                .admin_emails
                .iter()
                .map(|e| e.trim().to_lowercase())
                .collect(),
            tasks: [poller, janitor],
        })
    }

    /// Counts revoked-session cache lookups in `metrics`.
    pub fn observe(&mut self, metrics: &studio_core::Metrics) {
        self.revoked.observe(metrics);
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
            successor_sealed: None,
        };
        (token, row)
    }

    pub(crate) fn respond_with(
        &self,
        user: UserRow,
        access_token: String,
        refresh_token: String,
    ) -> AuthResponse {
        AuthResponse {
            access_token,
            refresh_token,
            token_type: "Bearer",
            expires_in: self.tokens.lifetime_secs,
            user: user.into(),
        }
    }

    pub(crate) async fn open_session(
        &self,
        mut user: UserRow,
        client: ClientInfo,
    ) -> Result<AuthResponse, AuthError> {
        if user.disabled_at.is_some() {
            return Err(AuthError::AccountDisabled);
        }
        // STUDIO_ADMIN_EMAILS: only a proved address may claim a listed one.
        let listed = self.admin_emails.contains(&user.email);
        if listed && user.email_verified && user.role != Role::Admin.as_str() {
            self.store.set_role(&user.id, Role::Admin, now()).await?;
            tracing::info!(user = %user.id, "promoted to admin by STUDIO_ADMIN_EMAILS");
            user.role = Role::Admin.as_str().to_owned();
        }
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
        let access = self.tokens.issue(&user.id, &session.id, &user.role)?;
        Ok(self.respond_with(user, access, token))
    }

    pub(crate) async fn existing_user(&self, user_id: &str) -> Result<UserRow, AuthError> {
        self.store
            .user(user_id)
            .await?
            .ok_or(AuthError::InvalidToken)
    }

    /// Ends one session of `user_id`. Its access tokens stop working here at once only when
    /// the database confirms the session was theirs and live: an id a caller merely names
    /// must never end someone else's tokens.
    pub(crate) async fn end_session(
        &self,
        user_id: &str,
        session_id: &str,
    ) -> Result<bool, AuthError> {
        let revoked = self
            .store
            .revoke_session(user_id, session_id, now())
            .await?;
        if revoked {
            self.revoked.insert(session_id);
        }
        Ok(revoked)
    }

    /// Ends every session of the user but `keep`.
    pub(crate) async fn end_sessions(
        &self,
        user_id: &str,
        keep: Option<&str>,
    ) -> Result<(), AuthError> {
        let ended = self
            .store
            .revoke_other_sessions(user_id, keep, now())
            .await?;
        ended.iter().for_each(|id| self.revoked.insert(id));
        Ok(())
    }
}
