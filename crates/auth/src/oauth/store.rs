//! The OAuth tables: flows in progress, one-time codes, linked identities.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use studio_core::{
    db_run,
    schema::{oauth_codes, oauth_flows, user_identities, users},
    DbError, DbPool,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = oauth_flows)]
pub struct FlowRow {
    pub state_hash: String,
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub redirect_uri: String,
    pub redirect_to: String,
    pub browser_hash: String,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = user_identities)]
pub struct IdentityRow {
    pub id: String,
    pub user_id: String,
    pub provider: String,
    pub subject: String,
    pub email: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = oauth_codes)]
pub struct CodeRow {
    pub code_hash: String,
    pub user_id: String,
    pub expires_at: NaiveDateTime,
}

pub struct OAuthStore {
    pool: DbPool,
}

impl OAuthStore {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }

    pub async fn insert_flow(&self, flow: &FlowRow, now: NaiveDateTime) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| {
            // Abandoned flows are swept as new ones start.
            diesel::delete(oauth_flows::table.filter(oauth_flows::expires_at.lt(now)))
                .execute(conn)
                .await?;
            diesel::insert_into(oauth_flows::table)
                .values(flow)
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    /// Removes and returns the flow: whatever happens next, a state is used once.
    pub async fn take_flow(&self, state_hash: &str) -> Result<Option<FlowRow>, DbError> {
        db_run!(&self.pool, |conn| diesel::delete(
            oauth_flows::table.find(state_hash)
        )
        .returning(FlowRow::as_returning())
        .get_result(conn)
        .await
        .optional())
    }

    pub async fn insert_code(&self, code: &CodeRow, now: NaiveDateTime) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| {
            diesel::delete(oauth_codes::table.filter(oauth_codes::expires_at.lt(now)))
                .execute(conn)
                .await?;
            diesel::insert_into(oauth_codes::table)
                .values(code)
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    pub async fn take_code(&self, code_hash: &str) -> Result<Option<CodeRow>, DbError> {
        db_run!(&self.pool, |conn| diesel::delete(
            oauth_codes::table.find(code_hash)
        )
        .returning(CodeRow::as_returning())
        .get_result(conn)
        .await
        .optional())
    }

    pub async fn identity(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<IdentityRow>, DbError> {
        db_run!(&self.pool, |conn| user_identities::table
            .filter(user_identities::provider.eq(provider))
            .filter(user_identities::subject.eq(subject))
            .select(IdentityRow::as_select())
            .first(conn)
            .await
            .optional())
    }

    pub async fn insert_identity(&self, identity: &IdentityRow) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| {
            diesel::insert_into(user_identities::table)
                .values(identity)
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    pub async fn identities(&self, user_id: &str) -> Result<Vec<IdentityRow>, DbError> {
        db_run!(&self.pool, |conn| user_identities::table
            .filter(user_identities::user_id.eq(user_id))
            .order(user_identities::created_at.asc())
            .select(IdentityRow::as_select())
            .load(conn)
            .await)
    }

    pub async fn has_password(&self, user_id: &str) -> Result<bool, DbError> {
        db_run!(&self.pool, |conn| users::table
            .find(user_id)
            .select(users::password_hash.is_not_null())
            .first::<bool>(conn)
            .await
            .optional())
        .map(|has| has.unwrap_or(false))
    }

    pub async fn delete_identity(&self, user_id: &str, id: &str) -> Result<bool, DbError> {
        db_run!(&self.pool, |conn| {
            let deleted = diesel::delete(
                user_identities::table
                    .find(id)
                    .filter(user_identities::user_id.eq(user_id)),
            )
            .execute(conn)
            .await?;
            Ok(deleted == 1)
        })
    }

    /// Unlinks every identity of the user (an account handed over to a new owner).
    pub async fn delete_identities(&self, user_id: &str) -> Result<usize, DbError> {
        db_run!(&self.pool, |conn| diesel::delete(
            user_identities::table.filter(user_identities::user_id.eq(user_id))
        )
        .execute(conn)
        .await)
    }
}
