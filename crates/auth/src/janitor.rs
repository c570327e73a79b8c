//! The janitor: a background task that deletes what can no longer be used (expired refresh
//! tokens, sessions ended longer ago than a refresh token lives, stale OAuth flows and codes,
//! expired mailed tokens, audit events past their retention), in small batches along an index so that no statement holds a lock
//! for long, on either database.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use studio_core::{
    db_run,
    schema::{audit_events, auth_sessions, email_tokens, oauth_codes, oauth_flows, refresh_tokens},
    time::now,
    DbError, DbPool,
};

const BATCH: i64 = 500;

/// Rows deleted by one run, per table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub refresh_tokens: usize,
    pub sessions: usize,
    pub oauth_flows: usize,
    pub oauth_codes: usize,
    pub email_tokens: usize,
    pub audit_events: usize,
}

pub struct Janitor {
    pool: DbPool,
    refresh_lifetime: chrono::Duration,
    audit_retention: chrono::Duration,
}

/// Deletes, `BATCH` rows a statement, the rows of `$table` (keyed by `$key`) matching `$cond`.
macro_rules! purge {
    ($pool:expr, $table:ident, $key:ident, $cond:expr) => {{
        let mut total = 0;
        loop {
            // Keys first, then the delete: a subquery with LIMIT is not portable in diesel.
            let deleted = db_run!($pool, |conn| {
                let keys: Vec<String> = $table::table
                    .select($table::$key)
                    .filter($cond)
                    .limit(BATCH)
                    .load(conn)
                    .await?;
                diesel::delete($table::table.filter($table::$key.eq_any(&keys)))
                    .execute(conn)
                    .await
            })?;
            total += deleted;
            if (deleted as i64) < BATCH {
                break Ok::<usize, DbError>(total);
            }
            tokio::task::yield_now().await;
        }
    }};
}

impl Janitor {
    pub fn new(pool: DbPool, refresh_token_minutes: i64) -> Self {
        Self {
            pool,
            refresh_lifetime: chrono::Duration::minutes(refresh_token_minutes),
            audit_retention: chrono::Duration::days(365),
        }
    }

    /// `STUDIO_AUDIT_RETENTION_DAYS`: audit events older than this are deleted.
    pub fn keep_audit_events_for(mut self, days: i64) -> Self {
        self.audit_retention = chrono::Duration::days(days.max(1));
        self
    }

    /// Runs every `interval` until the task is aborted; a failed run is logged and retried.
    pub fn spawn(self, interval: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            loop {
                ticker.tick().await;
                match self.run_once(now()).await {
                    Ok(purged) if purged != Purged::default() => {
                        tracing::info!(?purged, "janitor purged expired rows")
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "janitor run failed"),
                }
            }
        })
    }

    /// One pass over every table, as if the time were `at`.
    pub async fn run_once(&self, at: NaiveDateTime) -> Result<Purged, DbError> {
        let pool = &self.pool;
        let ended_before = at - self.refresh_lifetime;
        Ok(Purged {
            refresh_tokens: purge!(pool, refresh_tokens, id, refresh_tokens::expires_at.lt(at))?,
            sessions: purge!(
                pool,
                auth_sessions,
                id,
                auth_sessions::revoked_at
                    .lt(ended_before)
                    .or(auth_sessions::expires_at.lt(ended_before))
            )?,
            oauth_flows: purge!(
                pool,
                oauth_flows,
                state_hash,
                oauth_flows::expires_at.lt(at)
            )?,
            oauth_codes: purge!(pool, oauth_codes, code_hash, oauth_codes::expires_at.lt(at))?,
            email_tokens: purge!(
                pool,
                email_tokens,
                token_hash,
                email_tokens::expires_at.lt(at)
            )?,
            audit_events: purge!(
                pool,
                audit_events,
                id,
                audit_events::created_at.lt(at - self.audit_retention)
            )?,
        })
    }
}
