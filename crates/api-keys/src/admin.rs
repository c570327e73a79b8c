//! Every user's keys, for operators: listed with their owner (never a secret), revoked by id.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use studio_core::{
    db_run,
    schema::{api_keys, users},
    time::now,
    Page, PageRequest,
};

use crate::{store::ApiKeyRow, ApiKeyError, ApiKeyInfo, ApiKeys};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminKeyInfo {
    #[serde(flatten)]
    pub key: ApiKeyInfo,
    pub user_id: String,
    pub owner_email: String,
}

#[async_trait]
pub trait KeyAdmin: Send + Sync {
    /// All keys (of `owner` only, when given), oldest first.
    async fn all_keys(
        &self,
        owner: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<AdminKeyInfo>, ApiKeyError>;
    /// Revokes any user's key; returns its owner.
    async fn revoke_any(&self, key_id: &str) -> Result<String, ApiKeyError>;
    /// Keys that still work (not revoked, not expired).
    async fn active_count(&self, user_id: &str) -> Result<i64, ApiKeyError>;
}

#[async_trait]
impl KeyAdmin for ApiKeys {
    async fn all_keys(
        &self,
        owner: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<AdminKeyInfo>, ApiKeyError> {
        let cursor = page.cursor.clone().unwrap_or_default();
        let rows: Vec<(ApiKeyRow, String)> = db_run!(&self.store.pool, |conn| {
            let mut query = api_keys::table
                .inner_join(users::table)
                .filter(api_keys::id.gt(&cursor))
                .order(api_keys::id.asc())
                .limit(page.fetch())
                .select((ApiKeyRow::as_select(), users::email))
                .into_boxed();
            if let Some(owner) = owner {
                query = query.filter(api_keys::user_id.eq(owner));
            }
            query.load(conn).await
        })?;
        let page = Page::from_rows(rows, &page, |(row, _)| row.id.clone());
        Ok(page.map(|(row, owner_email)| AdminKeyInfo {
            user_id: row.user_id.clone(),
            owner_email,
            key: row.into(),
        }))
    }

    async fn revoke_any(&self, key_id: &str) -> Result<String, ApiKeyError> {
        let row: Option<ApiKeyRow> = db_run!(&self.store.pool, |conn| api_keys::table
            .find(key_id)
            .select(ApiKeyRow::as_select())
            .first(conn)
            .await
            .optional())?;
        let row = row.ok_or(ApiKeyError::NotFound)?;
        self.store.revoke(&row.id, now()).await?;
        self.cache.invalidate(&row.key_hash).await;
        Ok(row.user_id)
    }

    async fn active_count(&self, user_id: &str) -> Result<i64, ApiKeyError> {
        Ok(self.store.active_count(user_id, now()).await?)
    }
}
