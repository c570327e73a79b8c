//! Per-user totals by day and by model, for the dashboard.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde::Serialize;
use studio_core::{DbError, DbPool};

use crate::{
    store::{self, UsageGroup},
    UsageQuery,
};

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UsageTotals {
    pub requests: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub total_tokens: i64,
    /// Requests whose client went away before the answer was complete.
    pub cancelled_requests: i64,
    /// Tokens Studio estimated because the upstream reported none (part of the totals).
    pub estimated_tokens: i64,
}

impl UsageTotals {
    pub(crate) fn merge(&mut self, other: &UsageTotals) {
        self.requests += other.requests;
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.total_tokens += other.total_tokens;
        self.cancelled_requests += other.cancelled_requests;
        self.estimated_tokens += other.estimated_tokens;
    }

    fn add(&mut self, group: &UsageGroup) {
        self.requests += group.requests;
        self.prompt_tokens += group.prompt_tokens;
        self.completion_tokens += group.completion_tokens;
        self.total_tokens += group.total_tokens;
        self.cancelled_requests += group.cancelled_requests;
        self.estimated_tokens += group.estimated_tokens;
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DayUsage {
    pub date: NaiveDate,
    #[serde(flatten)]
    pub totals: UsageTotals,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelUsage {
    pub model: String,
    #[serde(flatten)]
    pub totals: UsageTotals,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageReport {
    #[serde(with = "studio_core::time::serde_utc")]
    pub from: NaiveDateTime,
    #[serde(with = "studio_core::time::serde_utc")]
    pub to: NaiveDateTime,
    /// The time zone whose days `byDay` uses.
    pub tz: String,
    pub totals: UsageTotals,
    pub by_day: Vec<DayUsage>,
    pub by_model: Vec<ModelUsage>,
}

#[async_trait]
pub trait UsageService: Send + Sync {
    async fn report(&self, user_id: &str, query: UsageQuery) -> Result<UsageReport, DbError>;
}

pub struct UsageSummaries {
    pool: DbPool,
}

impl UsageSummaries {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }
}

const DAY_SECS: i64 = 86_400;
/// Every time zone's offset is a multiple of 15 minutes, so such buckets fall in one local day.
const QUARTER_HOUR_SECS: i64 = 900;

#[async_trait]
impl UsageService for UsageSummaries {
    async fn report(&self, user_id: &str, query: UsageQuery) -> Result<UsageReport, DbError> {
        let bucket_secs = if query.tz.is_some() {
            QUARTER_HOUR_SECS
        } else {
            DAY_SECS
        };
        let groups = store::grouped(&self.pool, user_id, query.from, query.to, bucket_secs).await?;
        let mut totals = UsageTotals::default();
        let mut by_day: BTreeMap<NaiveDate, UsageTotals> = BTreeMap::new();
        let mut by_model: BTreeMap<String, UsageTotals> = BTreeMap::new();
        for group in &groups {
            let start = DateTime::from_timestamp(group.bucket * bucket_secs, 0)
                .unwrap_or_default()
                .naive_utc();
            let day = match query.tz {
                Some(tz) => start.and_utc().with_timezone(&tz).date_naive(),
                None => start.date(),
            };
            totals.add(group);
            by_day.entry(day).or_default().add(group);
            by_model.entry(group.model.clone()).or_default().add(group);
        }
        Ok(UsageReport {
            from: query.from,
            to: query.to,
            tz: query
                .tz
                .map_or_else(|| "UTC".to_owned(), |tz| tz.name().to_owned()),
            totals,
            by_day: by_day
                .into_iter()
                .map(|(date, totals)| DayUsage { date, totals })
                .collect(),
            by_model: by_model
                .into_iter()
                .map(|(model, totals)| ModelUsage { model, totals })
                .collect(),
        })
    }
}
