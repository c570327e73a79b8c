//! The API key service: management for the frontend, verification for `/v1`.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::NaiveDateTime;
use moka::future::Cache;
use studio_core::{ids::new_id, poll, time::now, DbPool};

use crate::{
    cache::{new_cache, Lookup},
    key::{generate, looks_like_key, KeyHasher},
    last_used::LastUsed,
    store::{ApiKeyRow, Store},
    types::*,
    ApiKeyError,
};

const MAX_NAME_CHARS: usize = 100;
/// Ten years: a key meant to outlive that should be rotated, and far dates overflow clients.
const MAX_LIFETIME_DAYS: i64 = 3653;

#[async_trait]
pub trait ApiKeyService: Send + Sync {
    async fn create(&self, user_id: &str, request: NewApiKey)
        -> Result<CreatedApiKey, ApiKeyError>;
    async fn list(&self, user_id: &str) -> Result<Vec<ApiKeyInfo>, ApiKeyError>;
    /// Renames the key and/or replaces its limits.
    async fn update(
        &self,
        user_id: &str,
        key_id: &str,
        update: KeyUpdate,
    ) -> Result<ApiKeyInfo, ApiKeyError>;
    async fn revoke(&self, user_id: &str, key_id: &str) -> Result<(), ApiKeyError>;
    /// Revokes every key of the user at once (an account handed to a new owner).
    async fn revoke_all(&self, user_id: &str) -> Result<usize, ApiKeyError>;
    /// Who owns this key, if it is valid; served from the cache after the first use.
    async fn verify(&self, key: &str) -> Result<VerifiedKey, ApiKeyError>;
    /// Writes pending `lastUsedAt` values now (graceful shutdown).
    async fn flush(&self);
}

#[derive(Debug, Clone)]
pub struct ApiKeySettings {
    pub secret: String,
    pub max_active_per_user: u32,
    pub last_used_flush: Duration,
}

pub struct ApiKeys {
    pub(crate) store: Arc<Store>,
    hasher: KeyHasher,
    pub(crate) cache: Cache<String, Lookup>,
    last_used: Arc<LastUsed>,
    max_active: u32,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    lookups: studio_core::metrics::CacheCounters,
}

impl Drop for ApiKeys {
    fn drop(&mut self) {
        self.tasks.iter().for_each(tokio::task::JoinHandle::abort);
    }
}

impl ApiKeys {
    pub fn new(pool: DbPool, settings: ApiKeySettings) -> Self {
        let store = Arc::new(Store::new(pool));
        let cache = new_cache();
        let last_used = Arc::new(LastUsed::default());
        let tasks = vec![
            last_used.spawn_flusher(store.clone(), settings.last_used_flush),
            spawn_revocation_poller(store.clone(), cache.clone()),
        ];
        Self {
            store,
            hasher: KeyHasher::new(settings.secret.as_bytes()),
            cache,
            last_used,
            max_active: settings.max_active_per_user,
            tasks,
            lookups: Default::default(),
        }
    }

    /// Counts verification cache hits and misses in `metrics`.
    pub fn observed(mut self, metrics: &studio_core::Metrics) -> Self {
        self.lookups = metrics.cache("api_keys");
        self
    }

    async fn owned(&self, user_id: &str, key_id: &str) -> Result<ApiKeyRow, ApiKeyError> {
        self.store
            .owned(user_id, key_id)
            .await?
            .ok_or(ApiKeyError::NotFound)
    }
}

fn clean_name(name: &str) -> Result<String, ApiKeyError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ApiKeyError::InvalidField {
            field: "name",
            message: format!("name must be 1 to {MAX_NAME_CHARS} printable characters"),
        });
    }
    Ok(name.to_owned())
}

fn is_expired(expires_at: Option<NaiveDateTime>, at: NaiveDateTime) -> bool {
    expires_at.is_some_and(|expiry| expiry <= at)
}

#[async_trait]
impl ApiKeyService for ApiKeys {
    async fn create(
        &self,
        user_id: &str,
        request: NewApiKey,
    ) -> Result<CreatedApiKey, ApiKeyError> {
        let name = clean_name(&request.name)?;
        let created_at = now();
        let expires_at = request.expires_at.map(|t| t.naive_utc());
        if is_expired(expires_at, created_at) {
            return Err(ApiKeyError::InvalidField {
                field: "expiresAt",
                message: "expiresAt must be in the future".into(),
            });
        }
        if expires_at.is_some_and(|at| at > created_at + chrono::Duration::days(MAX_LIFETIME_DAYS))
        {
            return Err(ApiKeyError::InvalidField {
                field: "expiresAt",
                message: "expiresAt must be at most 10 years ahead".into(),
            });
        }
        if self.store.active_count(user_id, created_at).await? >= i64::from(self.max_active) {
            return Err(ApiKeyError::TooManyKeys {
                limit: self.max_active,
            });
        }
        let key = generate();
        let row = ApiKeyRow {
            id: new_id(),
            user_id: user_id.to_owned(),
            name,
            key_hash: self.hasher.digest(&key.secret),
            prefix: key.prefix,
            last_four: key.last_four,
            created_at,
            last_used_at: None,
            expires_at,
            revoked_at: None,
            requests_per_minute: None,
            tokens_per_minute: None,
            concurrent_streams: None,
            monthly_token_budget: None,
            monthly_cost_budget_usd: None,
        };
        self.store.insert(&row).await?;
        Ok(CreatedApiKey {
            id: row.id,
            name: row.name,
            key: key.secret,
            prefix: row.prefix,
            last_four: row.last_four,
            created_at,
            expires_at,
        })
    }

    async fn list(&self, user_id: &str) -> Result<Vec<ApiKeyInfo>, ApiKeyError> {
        Ok(self
            .store
            .list(user_id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    async fn update(
        &self,
        user_id: &str,
        key_id: &str,
        update: KeyUpdate,
    ) -> Result<ApiKeyInfo, ApiKeyError> {
        let name = update.name.as_deref().map(clean_name).transpose()?;
        if let Some(limits) = &update.limits {
            check_limits(limits)?;
        }
        let mut row = self.owned(user_id, key_id).await?;
        if let Some(name) = name {
            self.store.rename(&row.id, &name).await?;
            row.name = name;
        }
        if let Some(limits) = update.limits {
            self.store.set_limits(&row.id, &limits).await?;
            // The cached verification carries the limits: the next request reads them anew.
            self.cache.invalidate(&row.key_hash).await;
            let signed = |v: Option<u64>| v.map(|v| v.min(i64::MAX as u64) as i64);
            row.requests_per_minute = signed(limits.requests_per_minute);
            row.tokens_per_minute = signed(limits.tokens_per_minute);
            row.concurrent_streams = signed(limits.concurrent_streams);
            row.monthly_token_budget = signed(limits.monthly_token_budget);
            row.monthly_cost_budget_usd = limits.monthly_cost_budget_usd;
        }
        Ok(row.into())
    }

    async fn revoke(&self, user_id: &str, key_id: &str) -> Result<(), ApiKeyError> {
        let row = self.owned(user_id, key_id).await?;
        self.store.revoke(&row.id, now()).await?;
        self.cache.invalidate(&row.key_hash).await;
        Ok(())
    }

    async fn revoke_all(&self, user_id: &str) -> Result<usize, ApiKeyError> {
        let digests = self.store.revoke_all(user_id, now()).await?;
        for digest in &digests {
            self.cache.invalidate(digest).await;
        }
        Ok(digests.len())
    }

    async fn verify(&self, key: &str) -> Result<VerifiedKey, ApiKeyError> {
        if !looks_like_key(key) {
            return Err(ApiKeyError::InvalidKey);
        }
        let digest = self.hasher.digest(key);
        // The common case is a hit: a plain lookup is cheaper than the loader path.
        let cached = self.cache.get(&digest).await;
        self.lookups.lookup(cached.is_some());
        let lookup = match cached {
            Some(lookup) => lookup,
            None => {
                let store = &self.store;
                self.cache
                    .try_get_with_by_ref(&digest, async { store.verify(&digest).await })
                    .await
                    .map_err(|e| ApiKeyError::Database(studio_core::DbError::Pool(e.to_string())))?
            }
        };
        let at = now();
        match lookup {
            Some(found) if !is_expired(found.expires_at, at) => {
                self.last_used.record(&found.key_id, at);
                Ok(found)
            }
            _ => Err(ApiKeyError::InvalidKey),
        }
    }

    async fn flush(&self) {
        self.last_used.flush(&self.store).await;
    }
}

fn spawn_revocation_poller(
    store: Arc<Store>,
    cache: Cache<String, Lookup>,
) -> tokio::task::JoinHandle<()> {
    poll::spawn_revocation_poller(
        "API key",
        poll::since_secs_ago(10),
        move |since| {
            let store = store.clone();
            async move { store.revoked_since(since).await }
        },
        move |digests| {
            let cache = cache.clone();
            async move {
                for digest in digests {
                    cache.invalidate(&digest).await;
                }
            }
        },
    )
}

/// A budget in dollars must be a finite amount, not negative.
fn check_limits(limits: &studio_core::LimitSettings) -> Result<(), ApiKeyError> {
    match limits.monthly_cost_budget_usd {
        Some(usd) if !usd.is_finite() || usd < 0.0 => Err(ApiKeyError::InvalidField {
            field: "limits.monthlyCostBudgetUsd",
            message: "limits.monthlyCostBudgetUsd must be a positive number of dollars".into(),
        }),
        _ => Ok(()),
    }
}
