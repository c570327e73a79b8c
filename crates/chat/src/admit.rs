//! Asking the limiter before anything reaches an upstream: requests, tokens (the prompt
//! estimate plus the reply's maximum, settled with the real usage at the end), streams and
//! budgets, per API key and per user.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate, Utc};
use studio_core::{metrics::Counter, Caller, LimitSettings, Metrics};
use studio_limits::{Admission, Demand, Limits, RefusalKind};
use studio_models::Pricing;

use crate::{request::ChatRequest, ChatError};

/// What this month cost each scope so far, read from the usage records (only when a budget
/// counter starts: the limiter keeps count after that).
#[async_trait::async_trait]
pub trait MonthSpend: Send + Sync {
    /// (key tokens, key cost in micro-dollars, user tokens, user cost in micro-dollars).
    async fn spent(
        &self,
        user_id: &str,
        key_id: Option<&str>,
        since: chrono::NaiveDateTime,
    ) -> (u64, u64, u64, u64);
}

/// The limiter and the defaults every key and user gets unless their own limits say otherwise.
#[derive(Clone)]
pub struct LimitPolicy {
    pub limits: Arc<Limits>,
    pub key_defaults: LimitSettings,
    pub user_defaults: LimitSettings,
    pub spend: Arc<dyn MonthSpend>,
    pub decisions: LimiterDecisions,
}

/// `studio_limiter_decisions_total`: requests the limiter admitted, and refused by kind.
#[derive(Clone)]
pub struct LimiterDecisions {
    admitted: Counter,
    requests: Counter,
    tokens: Counter,
    concurrency: Counter,
    budget: Counter,
}

impl LimiterDecisions {
    pub fn new(metrics: &Metrics) -> Self {
        let help = "Limiter decisions: outcome=admitted, or limited with the kind of limit.";
        let name = "studio_limiter_decisions_total";
        let limited = |kind| metrics.counter(name, help, &[("outcome", "limited"), ("kind", kind)]);
        Self {
            admitted: metrics.counter(name, help, &[("outcome", "admitted")]),
            requests: limited("requests"),
            tokens: limited("tokens"),
            concurrency: limited("concurrency"),
            budget: limited("budget"),
        }
    }

    fn count<T>(&self, decision: &Result<T, studio_limits::Refusal>) {
        match decision {
            Ok(_) => &self.admitted,
            Err(refusal) => match refusal.kind {
                RefusalKind::Requests => &self.requests,
                RefusalKind::Tokens => &self.tokens,
                RefusalKind::Concurrency => &self.concurrency,
                RefusalKind::Budget => &self.budget,
            },
        }
        .increment(1);
    }
}

/// The price of `prompt` and `completion` tokens in micro-dollars (prices are per million).
pub(crate) fn cost_micros(pricing: Option<&Pricing>, prompt: u64, completion: u64) -> u64 {
    pricing.map_or(0, |p| {
        (prompt as f64 * p.input_per_million + completion as f64 * p.output_per_million).round()
            as u64
    })
}

fn limits_anything(limits: &LimitSettings) -> bool {
    let set = |v: Option<u64>| v.is_some_and(|v| v > 0);
    set(limits.requests_per_minute)
        || set(limits.tokens_per_minute)
        || set(limits.concurrent_streams)
        || has_budget(limits)
}

fn has_budget(limits: &LimitSettings) -> bool {
    limits.monthly_token_budget.is_some_and(|b| b > 0)
        || limits.monthly_cost_budget_usd.is_some_and(|b| b > 0.0)
}

impl LimitPolicy {
    pub(crate) async fn admit(
        &self,
        caller: &Caller,
        request: &ChatRequest,
    ) -> Result<Option<Admission>, ChatError> {
        let key = caller.key_limits.or(self.key_defaults);
        let user = self.user_defaults;
        // The usual deployment limits nothing: no clock, no month, no store on the hot path.
        if !limits_anything(&key) && !limits_anything(&user) {
            return Ok(None);
        }
        // Cheap and on the safe side: a token is rarely shorter than 4 bytes of JSON.
        let prompt = (request.body.len() as u64).div_ceil(4);
        let tokens = prompt + u64::from(request.max_tokens);
        let cost = cost_micros(
            request.model.pricing.as_ref(),
            prompt,
            u64::from(request.max_tokens),
        );
        let now = Utc::now();
        let month_start = NaiveDate::from_ymd_opt(now.year(), now.month(), 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        let next_month = if now.month() == 12 {
            NaiveDate::from_ymd_opt(now.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(now.year(), now.month() + 1, 1)
        }
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default();
        let budgets = caller.api_key_id.is_some() && has_budget(&key) || has_budget(&user);
        let spent = if budgets {
            self.spend
                .spent(&caller.user_id, caller.api_key_id.as_deref(), month_start)
                .await
        } else {
            (0, 0, 0, 0)
        };
        let demand = Demand {
            user_id: &caller.user_id,
            key_id: caller.api_key_id.as_deref(),
            key,
            user,
            tokens,
            cost_micros: cost,
            stream: request.stream,
            now: now.timestamp().max(0) as u64,
            month: now.format("%Y-%m").to_string(),
            month_secs_left: (next_month - now.naive_utc()).num_seconds().max(1) as u64,
            spent,
        };
        let decision = self.limits.admit(&demand).await;
        self.decisions.count(&decision);
        decision
            .map(Some)
            .map_err(|refusal| ChatError::Limited(Box::new(refusal)))
    }
}
