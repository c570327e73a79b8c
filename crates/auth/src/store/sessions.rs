//! Sign-in sessions (token families) and their refresh tokens.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use studio_core::{
    db_run,
    schema::{auth_sessions, refresh_tokens},
    DbError,
};

use super::{RefreshRow, SessionRow, Store};

impl Store {
    /// A new sign-in: the session (token family) and its first refresh token, together.
    pub async fn create_session(
        &self,
        session: &SessionRow,
        token: &RefreshRow,
    ) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| {
            conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                diesel::insert_into(auth_sessions::table)
                    .values(session)
                    .execute(conn)
                    .await?;
                diesel::insert_into(refresh_tokens::table)
                    .values(token)
                    .execute(conn)
                    .await?;
                Ok(())
            })
            .await
        })
    }

    pub async fn refresh_token(
        &self,
        hash: &str,
    ) -> Result<Option<(RefreshRow, SessionRow)>, DbError> {
        db_run!(&self.pool, |conn| refresh_tokens::table
            .inner_join(auth_sessions::table)
            .filter(refresh_tokens::token_hash.eq(hash))
            .select((RefreshRow::as_select(), SessionRow::as_select()))
            .first(conn)
            .await
            .optional())
    }

    /// Marks `used` as spent (keeping the sealed successor pair on it) and stores its
    /// successor; `false` if it was already spent (a concurrent or replayed use), in which case
    /// nothing is stored.
    pub async fn rotate(
        &self,
        used: &RefreshRow,
        next: &RefreshRow,
        sealed: &str,
        now: NaiveDateTime,
    ) -> Result<bool, DbError> {
        db_run!(&self.pool, |conn| {
            conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                let spent = diesel::update(
                    refresh_tokens::table
                        .find(&used.id)
                        .filter(refresh_tokens::used_at.is_null()),
                )
                .set((
                    refresh_tokens::used_at.eq(now),
                    refresh_tokens::successor_sealed.eq(sealed),
                ))
                .execute(conn)
                .await?;
                if spent != 1 {
                    return Ok(false);
                }
                diesel::insert_into(refresh_tokens::table)
                    .values(next)
                    .execute(conn)
                    .await?;
                diesel::update(auth_sessions::table.find(&used.session_id))
                    .set(auth_sessions::last_used_at.eq(now))
                    .execute(conn)
                    .await?;
                Ok(true)
            })
            .await
        })
    }

    /// Revokes one session of `user_id`; `false` if there is no such live session of theirs.
    pub async fn revoke_session(
        &self,
        user_id: &str,
        session_id: &str,
        now: NaiveDateTime,
    ) -> Result<bool, DbError> {
        db_run!(&self.pool, |conn| {
            let changed = diesel::update(
                auth_sessions::table
                    .find(session_id)
                    .filter(auth_sessions::user_id.eq(user_id))
                    .filter(auth_sessions::revoked_at.is_null()),
            )
            .set(auth_sessions::revoked_at.eq(now))
            .execute(conn)
            .await?;
            Ok(changed == 1)
        })
    }

    /// Revokes every live session of the user except `keep`; returns the revoked ids.
    pub async fn revoke_other_sessions(
        &self,
        user_id: &str,
        keep: Option<&str>,
        now: NaiveDateTime,
    ) -> Result<Vec<String>, DbError> {
        let keep = keep.unwrap_or("");
        db_run!(&self.pool, |conn| {
            let ids: Vec<String> = auth_sessions::table
                .filter(auth_sessions::user_id.eq(user_id))
                .filter(auth_sessions::id.ne(keep))
                .filter(auth_sessions::revoked_at.is_null())
                .select(auth_sessions::id)
                .load(conn)
                .await?;
            diesel::update(auth_sessions::table.filter(auth_sessions::id.eq_any(&ids)))
                .set(auth_sessions::revoked_at.eq(now))
                .execute(conn)
                .await?;
            Ok(ids)
        })
    }

    pub async fn live_sessions(
        &self,
        user_id: &str,
        now: NaiveDateTime,
    ) -> Result<Vec<SessionRow>, DbError> {
        db_run!(&self.pool, |conn| auth_sessions::table
            .filter(auth_sessions::user_id.eq(user_id))
            .filter(auth_sessions::revoked_at.is_null())
            .filter(auth_sessions::expires_at.gt(now))
            .order(auth_sessions::last_used_at.desc())
            .select(SessionRow::as_select())
            .load(conn)
            .await)
    }

    pub async fn sessions_revoked_since(
        &self,
        since: NaiveDateTime,
    ) -> Result<Vec<String>, DbError> {
        db_run!(&self.pool, |conn| auth_sessions::table
            .filter(auth_sessions::revoked_at.ge(since))
            .select(auth_sessions::id)
            .load(conn)
            .await)
    }
}
