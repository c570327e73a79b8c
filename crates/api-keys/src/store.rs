//! The `api_keys` table.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use studio_core::{db_run, schema::api_keys, DbError, DbPool, LimitSettings};

use crate::types::{ApiKeyInfo, VerifiedKey};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub key_hash: String,
    pub prefix: String,
    pub last_four: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub requests_per_minute: Option<i64>,
    pub tokens_per_minute: Option<i64>,
    pub concurrent_streams: Option<i64>,
    pub monthly_token_budget: Option<i64>,
    pub monthly_cost_budget_usd: Option<f64>,
}

impl ApiKeyRow {
    pub fn limits(&self) -> LimitSettings {
        let unsigned = |v: Option<i64>| v.map(|v| v.max(0) as u64);
        LimitSettings {
            requests_per_minute: unsigned(self.requests_per_minute),
            tokens_per_minute: unsigned(self.tokens_per_minute),
            concurrent_streams: unsigned(self.concurrent_streams),
            monthly_token_budget: unsigned(self.monthly_token_budget),
            monthly_cost_budget_usd: self.monthly_cost_budget_usd,
        }
    }
}

impl From<ApiKeyRow> for ApiKeyInfo {
    fn from(row: ApiKeyRow) -> Self {
        ApiKeyInfo {
            limits: row.limits(),
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            last_four: row.last_four,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        }
    }
}

pub struct Store {
    pub(crate) pool: DbPool,
}

impl Store {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }

    pub async fn active_count(&self, user_id: &str, now: NaiveDateTime) -> Result<i64, DbError> {
        db_run!(&self.pool, |conn| api_keys::table
            .filter(api_keys::user_id.eq(user_id))
            .filter(api_keys::revoked_at.is_null())
            .filter(
                api_keys::expires_at
                    .is_null()
                    .or(api_keys::expires_at.gt(now))
            )
            .count()
            .get_result(conn)
            .await)
    }

    pub async fn insert(&self, row: &ApiKeyRow) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| {
            diesel::insert_into(api_keys::table)
                .values(row)
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    pub async fn list(&self, user_id: &str) -> Result<Vec<ApiKeyRow>, DbError> {
        db_run!(&self.pool, |conn| api_keys::table
            .filter(api_keys::user_id.eq(user_id))
            .order(api_keys::created_at.desc())
            .select(ApiKeyRow::as_select())
            .load(conn)
            .await)
    }

    pub async fn owned(&self, user_id: &str, id: &str) -> Result<Option<ApiKeyRow>, DbError> {
        db_run!(&self.pool, |conn| api_keys::table
            .find(id)
            .filter(api_keys::user_id.eq(user_id))
            .select(ApiKeyRow::as_select())
            .first(conn)
            .await
            .optional())
    }

    pub async fn rename(&self, id: &str, name: &str) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| {
            diesel::update(api_keys::table.find(id))
                .set(api_keys::name.eq(name))
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    pub async fn set_limits(&self, id: &str, limits: &LimitSettings) -> Result<(), DbError> {
        let signed = |v: Option<u64>| v.map(|v| v.min(i64::MAX as u64) as i64);
        db_run!(&self.pool, |conn| diesel::update(api_keys::table.find(id))
            .set((
                api_keys::requests_per_minute.eq(signed(limits.requests_per_minute)),
                api_keys::tokens_per_minute.eq(signed(limits.tokens_per_minute)),
                api_keys::concurrent_streams.eq(signed(limits.concurrent_streams)),
                api_keys::monthly_token_budget.eq(signed(limits.monthly_token_budget)),
                api_keys::monthly_cost_budget_usd.eq(limits.monthly_cost_budget_usd),
            ))
            .execute(conn)
            .await)
        .map(drop)
    }

    pub async fn revoke(&self, id: &str, now: NaiveDateTime) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| {
            diesel::update(
                api_keys::table
                    .find(id)
                    .filter(api_keys::revoked_at.is_null()),
            )
            .set(api_keys::revoked_at.eq(now))
            .execute(conn)
            .await?;
            Ok(())
        })
    }

    /// Revokes every live key of the user; returns their digests (to drop from the cache).
    pub async fn revoke_all(
        &self,
        user_id: &str,
        now: NaiveDateTime,
    ) -> Result<Vec<String>, DbError> {
        db_run!(&self.pool, |conn| diesel::update(
            api_keys::table
                .filter(api_keys::user_id.eq(user_id))
                .filter(api_keys::revoked_at.is_null())
        )
        .set(api_keys::revoked_at.eq(now))
        .returning(api_keys::key_hash)
        .get_results(conn)
        .await)
    }

    /// The owner of a live (not revoked) key with this digest; expiry is checked by the caller.
    pub async fn verify(&self, key_hash: &str) -> Result<Option<VerifiedKey>, DbError> {
        let row: Option<ApiKeyRow> = db_run!(&self.pool, |conn| api_keys::table
            .filter(api_keys::key_hash.eq(key_hash))
            .filter(api_keys::revoked_at.is_null())
            .select(ApiKeyRow::as_select())
            .first(conn)
            .await
            .optional())?;
        Ok(row.map(|row| VerifiedKey {
            limits: row.limits(),
            key_id: row.id,
            user_id: row.user_id,
            expires_at: row.expires_at,
        }))
    }

    pub async fn revoked_since(&self, since: NaiveDateTime) -> Result<Vec<String>, DbError> {
        db_run!(&self.pool, |conn| api_keys::table
            .filter(api_keys::revoked_at.ge(since))
            .select(api_keys::key_hash)
            .load(conn)
            .await)
    }

    pub async fn touch(&self, batch: &[(String, NaiveDateTime)]) -> Result<(), DbError> {
        // One transaction: a single commit (and fsync) for the whole batch.
        db_run!(&self.pool, |conn| {
            conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                for (id, at) in batch {
                    diesel::update(api_keys::table.find(id))
                        .set(api_keys::last_used_at.eq(at))
                        .execute(conn)
                        .await?;
                }
                Ok(())
            })
            .await
        })
    }
}
