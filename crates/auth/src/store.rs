//! The auth tables: users, sign-in sessions and their refresh tokens.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use studio_core::{
    db_run,
    schema::{auth_sessions, refresh_tokens, users},
    DbError, DbPool,
};

use crate::types::User;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub avatar_url: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: row.id,
            email: row.email,
            first_name: row.first_name,
            last_name: row.last_name,
            avatar_url: row.avatar_url,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = auth_sessions)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub user_agent: Option<String>,
    pub ip_address: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_used_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshRow {
    pub id: String,
    pub session_id: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

pub struct Store {
    pool: DbPool,
}

impl Store {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }

    pub async fn insert_user(&self, user: &UserRow) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| {
            diesel::insert_into(users::table)
                .values(user)
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>, DbError> {
        db_run!(&self.pool, |conn| users::table
            .filter(users::email.eq(email))
            .select(UserRow::as_select())
            .first(conn)
            .await
            .optional())
    }

    pub async fn user(&self, id: &str) -> Result<Option<UserRow>, DbError> {
        db_run!(&self.pool, |conn| users::table
            .find(id)
            .select(UserRow::as_select())
            .first(conn)
            .await
            .optional())
    }

    pub async fn update_names(
        &self,
        id: &str,
        first_name: Option<String>,
        last_name: Option<String>,
        now: NaiveDateTime,
    ) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| {
            if let Some(first) = &first_name {
                diesel::update(users::table.find(id))
                    .set(users::first_name.eq(first))
                    .execute(conn)
                    .await?;
            }
            if let Some(last) = &last_name {
                diesel::update(users::table.find(id))
                    .set(users::last_name.eq(last))
                    .execute(conn)
                    .await?;
            }
            diesel::update(users::table.find(id))
                .set(users::updated_at.eq(now))
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    pub async fn set_password(
        &self,
        id: &str,
        hash: &str,
        now: NaiveDateTime,
    ) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| {
            diesel::update(users::table.find(id))
                .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
                .execute(conn)
                .await?;
            Ok(())
        })
    }

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

    /// Marks `used` as spent and stores its successor; `false` if it was already spent
    /// (a concurrent or replayed use), in which case nothing is stored.
    pub async fn rotate(
        &self,
        used: &RefreshRow,
        next: &RefreshRow,
        now: NaiveDateTime,
    ) -> Result<bool, DbError> {
        db_run!(&self.pool, |conn| {
            conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                let spent = diesel::update(
                    refresh_tokens::table
                        .find(&used.id)
                        .filter(refresh_tokens::used_at.is_null()),
                )
                .set(refresh_tokens::used_at.eq(now))
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
        keep: &str,
        now: NaiveDateTime,
    ) -> Result<Vec<String>, DbError> {
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
