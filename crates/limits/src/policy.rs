//! What is limited and how a request is admitted: requests and tokens per minute, concurrent
//! streams, monthly token and cost budgets, each per API key and per user. Tokens and cost are
//! reserved up front (prompt estimate + the most the reply may use) and settled with the real
//! usage when the request ends; a refused request never reaches the upstream.

use std::{sync::Arc, time::Duration};

use crate::{Admission, LimitStore, SharedStore};

pub(crate) const MINUTE: Duration = Duration::from_secs(60);
/// A lease outlives any request (the longest upstream timeout is the whole-request one).
const LEASE_TTL: Duration = Duration::from_secs(3_600);

pub use studio_core::LimitSettings;

fn set(limit: Option<u64>) -> Option<u64> {
    limit.filter(|&l| l > 0)
}

/// One request's claim.
pub struct Demand<'a> {
    pub user_id: &'a str,
    pub key_id: Option<&'a str>,
    pub key: LimitSettings,
    pub user: LimitSettings,
    /// Tokens to reserve: the prompt estimate plus the reply's maximum.
    pub tokens: u64,
    /// Cost to reserve, in millionths of a dollar.
    pub cost_micros: u64,
    pub stream: bool,
    /// Seconds since the epoch, and this calendar month (UTC) as `YYYY-MM` with its seconds
    /// left.
    pub now: u64,
    pub month: String,
    pub month_secs_left: u64,
    /// What each scope spent this month before now (tokens, cost in micros), read from the
    /// database when a budget counter starts.
    pub spent: (u64, u64, u64, u64),
}

/// What the `x-ratelimit-*` headers say (the tightest applicable limit of each kind).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateInfo {
    pub requests: Option<(u64, u64, u64)>,
    pub tokens: Option<(u64, u64, u64)>,
}

impl RateInfo {
    fn note(slot: &mut Option<(u64, u64, u64)>, limit: u64, used: u64, reset: u64) {
        let remaining = limit.saturating_sub(used);
        if slot.is_none_or(|(_, r, _)| remaining < r) {
            *slot = Some((limit, remaining, reset));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    Requests,
    Tokens,
    Concurrency,
    Budget,
}

#[derive(Debug, Clone)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub message: String,
    pub retry_after_secs: u64,
    pub rate: RateInfo,
}

pub struct Limits {
    store: Arc<SharedStore>,
}

impl Limits {
    pub fn new(store: Arc<SharedStore>) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &Arc<SharedStore> {
        &self.store
    }

    /// Checks and reserves everything `demand` needs, or refuses (giving back what it took).
    pub async fn admit(&self, demand: &Demand<'_>) -> Result<Admission, Refusal> {
        let mut admission = Admission {
            store: self.store.clone(),
            windows: Vec::new(),
            requests: Vec::new(),
            budgets: Vec::new(),
            leases: Vec::new(),
            tokens: demand.tokens,
            cost_micros: demand.cost_micros,
            rate: RateInfo::default(),
            settled: false,
        };
        let mut scopes = vec![(
            format!("user:{}", demand.user_id),
            demand.user,
            demand.spent.2,
            demand.spent.3,
        )];
        if let Some(key_id) = demand.key_id {
            scopes.insert(
                0,
                (
                    format!("key:{key_id}"),
                    demand.key,
                    demand.spent.0,
                    demand.spent.1,
                ),
            );
        }
        // Requests first (cheap to give back), then tokens, streams, budgets.
        for (scope, limits, _, _) in &scopes {
            if let Some(limit) = set(limits.requests_per_minute) {
                let key = format!("rpm:{scope}");
                let window = self.take(&key, limit, 1, demand.now).await;
                RateInfo::note(
                    &mut admission.rate.requests,
                    limit,
                    window.used,
                    window.reset_secs,
                );
                if !window.allowed {
                    return Err(self
                        .refuse(
                            admission,
                            RefusalKind::Requests,
                            window.reset_secs,
                            format!("Rate limit reached for requests: {limit} per minute."),
                        )
                        .await);
                }
                admission.requests.push((key, window.at));
            }
        }
        for (scope, limits, _, _) in &scopes {
            if let Some(limit) = set(limits.tokens_per_minute) {
                let key = format!("tpm:{scope}");
                let window = self.take(&key, limit, demand.tokens, demand.now).await;
                RateInfo::note(
                    &mut admission.rate.tokens,
                    limit,
                    window.used,
                    window.reset_secs,
                );
                if !window.allowed {
                    return Err(self.refuse(admission, RefusalKind::Tokens, window.reset_secs,
                        format!("Rate limit reached for tokens: {limit} per minute; this request needs up to {}.", demand.tokens)).await);
                }
                admission.windows.push((key, window.at));
            }
        }
        if demand.stream {
            for (scope, limits, _, _) in &scopes {
                if let Some(limit) = set(limits.concurrent_streams) {
                    let key = format!("streams:{scope}");
                    match self.store.lease(&key, limit, LEASE_TTL, demand.now).await {
                        Ok(Some(lease)) => admission.leases.push((key, lease)),
                        Ok(None) => {
                            return Err(self
                                .refuse(
                                    admission,
                                    RefusalKind::Concurrency,
                                    1,
                                    format!("Too many concurrent streams: at most {limit}."),
                                )
                                .await)
                        }
                        Err(error) => tracing::error!(%error, "stream limit unavailable"),
                    }
                }
            }
        }
        for (scope, limits, spent_tokens, spent_cost) in &scopes {
            let budgets = [
                (
                    set(limits.monthly_token_budget),
                    demand.tokens,
                    *spent_tokens,
                    false,
                ),
                (
                    limits
                        .monthly_cost_budget_usd
                        .filter(|b| *b > 0.0)
                        .map(|b| (b * 1e6) as u64),
                    demand.cost_micros,
                    *spent_cost,
                    true,
                ),
            ];
            for (limit, amount, seed, is_cost) in budgets {
                let Some(limit) = limit else { continue };
                let kind = if is_cost { "cost" } else { "tokens" };
                let key = format!("budget:{kind}:{scope}:{}", demand.month);
                let ttl = Duration::from_secs(demand.month_secs_left + 86_400);
                match self.store.count(&key, limit, amount, seed, ttl).await {
                    Ok((true, _)) => admission.budgets.push((key, is_cost)),
                    Ok((false, _)) => {
                        return Err(self
                            .refuse(
                                admission,
                                RefusalKind::Budget,
                                demand.month_secs_left,
                                format!("You exceeded your monthly {kind} budget."),
                            )
                            .await)
                    }
                    Err(error) => tracing::error!(%error, "budget unavailable"),
                }
            }
        }
        Ok(admission)
    }

    async fn take(&self, key: &str, limit: u64, amount: u64, now: u64) -> crate::Window {
        match self.store.take(key, limit, amount, MINUTE, now).await {
            Ok(window) => window,
            // Both stores failing is a bug, not an outage: let the request through, loudly.
            Err(error) => {
                tracing::error!(%error, "limiter failed");
                crate::Window {
                    allowed: true,
                    used: 0,
                    reset_secs: 0,
                    at: now,
                }
            }
        }
    }

    /// Gives back what `admission` took so far; the refusal names what was exceeded.
    async fn refuse(
        &self,
        mut admission: Admission,
        kind: RefusalKind,
        retry_after_secs: u64,
        message: String,
    ) -> Refusal {
        let rate = admission.rate;
        for (key, at) in std::mem::take(&mut admission.requests) {
            let _ = self.store.adjust(&key, at, -1, MINUTE).await;
        }
        admission.finish(0, 0);
        Refusal {
            kind,
            message,
            retry_after_secs: retry_after_secs.max(1),
            rate,
        }
    }
}
