//! Wiring the limiter: Redis when `REDIS_URL` is set (in-process otherwise, and as the fallback),
//! the configured defaults, and this month's spend read from the usage records for budgets.

use std::{sync::Arc, time::Duration};

use studio_chat::{LimitPolicy, LimiterDecisions, MonthSpend};
use studio_core::{Config, Metrics};
use studio_limits::{Limits, SharedStore};
use studio_usage::UsageService;

/// (user, key, month start) → (key tokens, key micro-dollars, user tokens, user micro-dollars).
type SpendCache = moka::future::Cache<(String, Option<String>, i64), (u64, u64, u64, u64)>;

/// Reads a scope's spend at most every 30 s: budgets count in the limiter, and the database is
/// only their starting point (after a restart, or at the start of a month).
struct CachedSpend {
    usage: Arc<dyn UsageService>,
    cache: SpendCache,
}

#[async_trait::async_trait]
impl MonthSpend for CachedSpend {
    async fn spent(
        &self,
        user_id: &str,
        key_id: Option<&str>,
        since: chrono::NaiveDateTime,
    ) -> (u64, u64, u64, u64) {
        let key = (
            user_id.to_owned(),
            key_id.map(str::to_owned),
            since.and_utc().timestamp(),
        );
        self.cache
            .get_with(key, async {
                match self.usage.spent_since(user_id, key_id, since).await {
                    Ok(spent) => spent,
                    Err(error) => {
                        // The counter is already running in the limiter in the usual case;
                        // a missing seed only matters right after a restart.
                        tracing::warn!(%error, "this month's spend could not be read");
                        (0, 0, 0, 0)
                    }
                }
            })
            .await
    }
}

pub async fn policy(
    config: &Config,
    usage: Arc<dyn UsageService>,
    metrics: &Metrics,
) -> LimitPolicy {
    let store = SharedStore::start(config.redis_url.clone()).await;
    LimitPolicy {
        limits: Arc::new(Limits::new(store)),
        key_defaults: config.key_limits,
        user_defaults: config.user_limits,
        decisions: LimiterDecisions::new(metrics),
        spend: Arc::new(CachedSpend {
            usage,
            cache: moka::future::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(30))
                .build(),
        }),
    }
}
