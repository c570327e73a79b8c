//! Per-user totals by day and by model, for the dashboard.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use studio_core::{DbError, DbPool};

use crate::store;

#[derive(Debug, Clone, Copy)]
pub struct UsageQuery {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UsageTotals {
    pub requests: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub total_tokens: i64,
}

impl UsageTotals {
    fn add(&mut self, prompt: i64, completion: i64, total: i64) {
        self.requests += 1;
        self.prompt_tokens += prompt;
        self.completion_tokens += completion;
        self.total_tokens += total;
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

#[async_trait]
impl UsageService for UsageSummaries {
    async fn report(&self, user_id: &str, query: UsageQuery) -> Result<UsageReport, DbError> {
        let rows = store::rows_between(&self.pool, user_id, query.from, query.to).await?;
        let mut totals = UsageTotals::default();
        let mut by_day: BTreeMap<NaiveDate, UsageTotals> = BTreeMap::new();
        let mut by_model: BTreeMap<String, UsageTotals> = BTreeMap::new();
        for (at, model, prompt, completion, total) in rows {
            totals.add(prompt, completion, total);
            by_day
                .entry(at.date())
                .or_default()
                .add(prompt, completion, total);
            by_model
                .entry(model)
                .or_default()
                .add(prompt, completion, total);
        }
        Ok(UsageReport {
            from: query.from,
            to: query.to,
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
