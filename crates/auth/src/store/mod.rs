//! The auth tables: users, sign-in sessions and their refresh tokens, mailed tokens.

mod accounts;
mod email_tokens;
mod operators;
mod sessions;

pub use email_tokens::{EmailTokenRow, Purpose};
pub use operators::UserFilter;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use studio_core::{
    schema::{auth_sessions, refresh_tokens, users},
    DbPool,
};

use crate::types::{SessionInfo, User};

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
    pub email_verified: bool,
    /// `user` or `admin` (see `Role`).
    pub role: String,
    pub disabled_at: Option<NaiveDateTime>,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: row.id,
            email: row.email,
            first_name: row.first_name,
            last_name: row.last_name,
            avatar_url: row.avatar_url,
            email_verified: row.email_verified,
            role: row.role,
            disabled_at: row.disabled_at,
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

impl SessionRow {
    /// As listed; `current` marks the caller's own session.
    pub fn into_info(self, current: Option<&str>) -> SessionInfo {
        SessionInfo {
            current: current == Some(self.id.as_str()),
            id: self.id,
            user_agent: self.user_agent,
            ip_address: self.ip_address,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            expires_at: self.expires_at,
        }
    }
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
    /// The successor pair, sealed under the spent token (see `seal.rs`); set on rotation.
    pub successor_sealed: Option<String>,
}

pub struct Store {
    pub(crate) pool: DbPool,
}

impl Store {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }
}
