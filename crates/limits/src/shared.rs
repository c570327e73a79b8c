//! Redis when configured and reachable, the in-process store otherwise: never a 500 and never
//! an unlimited free-for-all. One log line per episode; `/readyz` shows which is in use.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use serde::Serialize;
use tokio::sync::RwLock;

use crate::{LimitStore, LocalStore, RedisStore, StoreError, Window};

pub struct SharedStore {
    local: LocalStore,
    redis_url: Option<String>,
    redis: RwLock<Option<RedisStore>>,
    /// Redis is configured but did not answer the last time: the local store decides.
    degraded: AtomicBool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LimiterState {
    /// `redis` or `in-process`.
    pub backend: &'static str,
    pub redis_configured: bool,
    /// Redis is configured but unreachable: limits are per instance until it returns.
    pub fallback: bool,
}

const RETRY_EVERY: Duration = Duration::from_secs(1);

impl SharedStore {
    /// Starts with Redis if `redis_url` is set (reconnecting in the background while it is
    /// unreachable), else in-process only.
    pub async fn start(redis_url: Option<String>) -> Arc<Self> {
        let store = Arc::new(Self {
            local: LocalStore::default(),
            redis: RwLock::new(None),
            degraded: AtomicBool::new(redis_url.is_some()),
            redis_url,
        });
        if let Some(url) = store.redis_url.clone() {
            match RedisStore::connect(&url).await {
                Ok(redis) => {
                    *store.redis.write().await = Some(redis);
                    store.degraded.store(false, Ordering::Relaxed);
                }
                Err(error) => {
                    tracing::warn!(%error, "Redis unreachable at start-up: limits are per instance until it answers");
                }
            }
            tokio::spawn(watch(Arc::downgrade(&store), url));
        }
        store
    }

    pub fn state(&self) -> LimiterState {
        let fallback = self.degraded.load(Ordering::Relaxed);
        LimiterState {
            backend: if self.redis_url.is_some() && !fallback {
                "redis"
            } else {
                "in-process"
            },
            redis_configured: self.redis_url.is_some(),
            fallback: self.redis_url.is_some() && fallback,
        }
    }

    /// The Redis store while it answers.
    async fn redis(&self) -> Option<RedisStore> {
        if self.degraded.load(Ordering::Relaxed) {
            return None;
        }
        self.redis.read().await.clone()
    }

    fn fell_back(&self, error: &StoreError) {
        if !self.degraded.swap(true, Ordering::Relaxed) {
            tracing::warn!(%error, "Redis unreachable: limits are per instance until it answers");
        }
    }
}

/// While Redis is down, tries it every second; limits become shared again once it answers.
async fn watch(store: std::sync::Weak<SharedStore>, url: String) {
    loop {
        tokio::time::sleep(RETRY_EVERY).await;
        let Some(store) = store.upgrade() else { return };
        if !store.degraded.load(Ordering::Relaxed) {
            continue;
        }
        let existing = store.redis.read().await.clone();
        let healthy = match existing {
            Some(redis) => redis.ping().await.is_ok(),
            None => match RedisStore::connect(&url).await {
                Ok(redis) => {
                    let ok = redis.ping().await.is_ok();
                    *store.redis.write().await = Some(redis);
                    ok
                }
                Err(_) => false,
            },
        };
        if healthy && store.degraded.swap(false, Ordering::Relaxed) {
            tracing::info!("Redis answers again: limits are shared across instances");
        }
    }
}

/// Runs `op` on Redis, or on the local store when Redis is down or fails.
macro_rules! either {
    ($self:ident, |$store:ident| $op:expr) => {{
        if let Some(redis) = $self.redis().await {
            let $store = &redis;
            match $op.await {
                Ok(value) => return Ok(value),
                Err(error) => $self.fell_back(&error),
            }
        }
        let $store = &$self.local;
        $op.await
    }};
}

#[async_trait::async_trait]
impl LimitStore for SharedStore {
    async fn take(
        &self,
        key: &str,
        limit: u64,
        amount: u64,
        window: Duration,
        now: u64,
    ) -> Result<Window, StoreError> {
        either!(self, |store| store.take(key, limit, amount, window, now))
    }

    async fn adjust(
        &self,
        key: &str,
        at: u64,
        delta: i64,
        window: Duration,
    ) -> Result<(), StoreError> {
        either!(self, |store| store.adjust(key, at, delta, window))
    }

    async fn lease(
        &self,
        key: &str,
        limit: u64,
        ttl: Duration,
        now: u64,
    ) -> Result<Option<String>, StoreError> {
        either!(self, |store| store.lease(key, limit, ttl, now))
    }

    async fn release(&self, key: &str, lease: &str) -> Result<(), StoreError> {
        either!(self, |store| store.release(key, lease))
    }

    async fn count(
        &self,
        key: &str,
        limit: u64,
        amount: u64,
        seed: u64,
        ttl: Duration,
    ) -> Result<(bool, u64), StoreError> {
        either!(self, |store| store.count(key, limit, amount, seed, ttl))
    }

    async fn count_adjust(&self, key: &str, delta: i64) -> Result<(), StoreError> {
        either!(self, |store| store.count_adjust(key, delta))
    }
}
