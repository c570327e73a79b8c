//! Refresh-token rotation with a grace window, and logout by either token.
//!
//! Every refresh spends the presented token and issues a successor. Two tabs refreshing at once
//! present the same token twice: within `STUDIO_REFRESH_GRACE_SECS` of its rotation the second
//! gets the same successor pair (opened from the spent row, see `seal.rs`), the way Okta's
//! rotation grace period works. Later, a spent token coming back means someone kept a copy,
//! and the whole sign-in is revoked.

use studio_core::time::now;

use crate::{
    auth::Auth,
    refresh, seal,
    store::{RefreshRow, SessionRow},
    tokens::AccessClaims,
    AuthError, AuthResponse,
};

impl Auth {
    pub(crate) async fn rotate(&self, presented: &str) -> Result<AuthResponse, AuthError> {
        let digest = refresh::digest(presented);
        let (used, session) = self
            .store
            .refresh_token(&digest)
            .await?
            .ok_or(AuthError::InvalidRefreshToken)?;
        let current = now();
        if session.revoked_at.is_some()
            || session.expires_at <= current
            || used.expires_at <= current
        {
            return Err(AuthError::InvalidRefreshToken);
        }
        if used.used_at.is_some() {
            return self.replayed(presented, used, session).await;
        }
        let user = self.existing_user(&session.user_id).await?;
        let (token, next) = self.new_refresh_row(&session.id);
        if user.disabled_at.is_some() {
            return Err(AuthError::AccountDisabled);
        }
        let access = self.tokens.issue(&user.id, &session.id, &user.role)?;
        let sealed = seal::seal(presented, &token, &access);
        if self.store.rotate(&used, &next, &sealed, current).await? {
            return Ok(self.respond_with(user, access, token));
        }
        // Another request spent it first: read what it left, as a replay.
        let (used, session) = self
            .store
            .refresh_token(&digest)
            .await?
            .ok_or(AuthError::InvalidRefreshToken)?;
        self.replayed(presented, used, session).await
    }

    /// A spent token presented again: its successor within the grace window, else revocation.
    async fn replayed(
        &self,
        presented: &str,
        used: RefreshRow,
        session: SessionRow,
    ) -> Result<AuthResponse, AuthError> {
        let in_grace = used
            .used_at
            .is_some_and(|at| now() - at <= self.refresh_grace && !self.refresh_grace.is_zero());
        let successor = used
            .successor_sealed
            .as_deref()
            .and_then(|sealed| seal::open(presented, sealed));
        if let (true, Some((token, access)), None) = (in_grace, successor, session.revoked_at) {
            let genuine = self
                .store
                .refresh_token(&refresh::digest(&token))
                .await?
                .is_some_and(|(_, s)| s.id == session.id);
            if genuine {
                let user = self.existing_user(&session.user_id).await?;
                return Ok(self.respond_with(user, access, token));
            }
        }
        tracing::warn!(session = %session.id, "refresh token reused; revoking its session");
        self.end_session(&session.user_id, &session.id).await?;
        Err(AuthError::InvalidRefreshToken)
    }

    /// Ends the caller's session, and the one `refresh_token` belongs to. Holding the refresh
    /// token is proof enough, so an expired access token is no obstacle to logging out.
    pub(crate) async fn sign_out(
        &self,
        caller: Option<&AccessClaims>,
        refresh_token: Option<&str>,
    ) -> Result<(), AuthError> {
        if let Some(caller) = caller {
            self.end_session(&caller.sub, &caller.sid).await?;
        }
        let Some(token) = refresh_token else {
            return match caller {
                Some(_) => Ok(()),
                None => Err(AuthError::MissingToken),
            };
        };
        match self.store.refresh_token(&refresh::digest(token)).await? {
            Some((_, session)) => {
                self.end_session(&session.user_id, &session.id).await?;
                Ok(())
            }
            None if caller.is_some() => Ok(()),
            None => Err(AuthError::InvalidRefreshToken),
        }
    }
}
