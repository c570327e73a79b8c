//! Limits that hold with any number of instances: requests and tokens per minute, concurrent
//! streams, monthly budgets. One [`LimitStore`] trait, two stores: in-process (one instance)
//! and Redis (every check-and-reserve one atomic Lua script), with the in-process store as the
//! fallback while Redis is unreachable.

mod admission;
mod local;
mod policy;
mod redis_store;
mod shared;

pub use admission::Admission;
pub use local::LocalStore;
pub use policy::{Demand, LimitSettings, Limits, RateInfo, Refusal, RefusalKind};
pub use redis_store::RedisStore;
pub use shared::{LimiterState, SharedStore};

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
#[error("limit store unavailable: {0}")]
pub struct StoreError(pub String);

/// The outcome of taking from a sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub allowed: bool,
    /// Used in the window, this request included when allowed.
    pub used: u64,
    /// Seconds until the oldest use leaves the window (when room frees up).
    pub reset_secs: u64,
    /// The second the amount was recorded at (to give part of it back later).
    pub at: u64,
}

/// The primitive operations every store implements atomically.
#[async_trait::async_trait]
pub trait LimitStore: Send + Sync {
    /// Takes `amount` from a sliding window of `window` (1-second buckets) if it stays within
    /// `limit`.
    async fn take(
        &self,
        key: &str,
        limit: u64,
        amount: u64,
        window: Duration,
        now: u64,
    ) -> Result<Window, StoreError>;
    /// Adds `delta` (may be negative) to the bucket at `at`: settling a reservation.
    async fn adjust(
        &self,
        key: &str,
        at: u64,
        delta: i64,
        window: Duration,
    ) -> Result<(), StoreError>;
    /// A lease among at most `limit`, expiring after `ttl` if never released.
    async fn lease(
        &self,
        key: &str,
        limit: u64,
        ttl: Duration,
        now: u64,
    ) -> Result<Option<String>, StoreError>;
    async fn release(&self, key: &str, lease: &str) -> Result<(), StoreError>;
    /// Adds `amount` to a counter (seeded with `seed` when absent, expiring after `ttl`) if
    /// it stays within `limit`; returns whether it did and the counter after.
    async fn count(
        &self,
        key: &str,
        limit: u64,
        amount: u64,
        seed: u64,
        ttl: Duration,
    ) -> Result<(bool, u64), StoreError>;
    async fn count_adjust(&self, key: &str, delta: i64) -> Result<(), StoreError>;
}
