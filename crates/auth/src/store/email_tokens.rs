//! Tokens mailed to an account's address, stored only as digests and spent at most once.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use studio_core::{db_run, schema::email_tokens, DbError};

use super::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Verify,
    Reset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Verify => "verify",
            Purpose::Reset => "reset",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = email_tokens)]
pub struct EmailTokenRow {
    pub token_hash: String,
    pub user_id: String,
    pub purpose: String,
    pub email: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

impl Store {
    pub async fn insert_email_token(&self, row: &EmailTokenRow) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| diesel::insert_into(email_tokens::table)
            .values(row)
            .execute(conn)
            .await)
        .map(drop)
    }

    /// Spends a live token of `purpose`: the conditional update lets exactly one caller have it.
    pub async fn take_email_token(
        &self,
        hash: &str,
        purpose: Purpose,
        now: NaiveDateTime,
    ) -> Result<Option<EmailTokenRow>, DbError> {
        db_run!(&self.pool, |conn| diesel::update(
            email_tokens::table
                .find(hash)
                .filter(email_tokens::purpose.eq(purpose.as_str()))
                .filter(email_tokens::used_at.is_null())
                .filter(email_tokens::expires_at.gt(now))
        )
        .set(email_tokens::used_at.eq(now))
        .returning(EmailTokenRow::as_returning())
        .get_result(conn)
        .await
        .optional())
    }

    /// Spends every other live token of `purpose` of the user (a reset ends the others).
    pub async fn spend_email_tokens(
        &self,
        user_id: &str,
        purpose: Purpose,
        now: NaiveDateTime,
    ) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| diesel::update(
            email_tokens::table
                .filter(email_tokens::user_id.eq(user_id))
                .filter(email_tokens::purpose.eq(purpose.as_str()))
                .filter(email_tokens::used_at.is_null())
        )
        .set(email_tokens::used_at.eq(now))
        .execute(conn)
        .await)
        .map(drop)
    }
}
