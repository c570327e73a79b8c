//! The users table (accounts).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use studio_core::{db_run, schema::users, DbError};

use super::{Store, UserRow};

impl Store {
    pub async fn insert_user(&self, user: &UserRow) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| diesel::insert_into(users::table)
            .values(user)
            .execute(conn)
            .await)
        .map(drop)
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

    /// Marks the account verified if its address is still `email` (it may have changed since
    /// the link was mailed); `false` if it is not.
    pub async fn mark_verified(
        &self,
        id: &str,
        email: &str,
        now: NaiveDateTime,
    ) -> Result<bool, DbError> {
        db_run!(&self.pool, |conn| diesel::update(
            users::table.find(id).filter(users::email.eq(email))
        )
        .set((users::email_verified.eq(true), users::updated_at.eq(now)))
        .execute(conn)
        .await)
        .map(|changed| changed == 1)
    }

    /// A new owner proved the address: the old password goes and the account is verified.
    pub async fn remove_password_and_verify(
        &self,
        id: &str,
        now: NaiveDateTime,
    ) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(None::<String>),
                users::email_verified.eq(true),
                users::updated_at.eq(now),
            ))
            .execute(conn)
            .await)
        .map(drop)
    }
}
