//! Per-user totals by day and by model, for the dashboard.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use studio_core::{DbError, DbPool};

use crate::{store, UsageQuery};

#[derive(
    Debug, Clone, Default, Serialize, PartialEq, diesel::QueryableByName, utoipa::ToSchema,
)]
#[serde(rename_all = "camelCase")]
pub struct UsageTotals {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub requests: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub prompt_tokens: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub completion_tokens: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub total_tokens: i64,
    /// Requests whose client went away before the answer was complete.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub cancelled_requests: i64,
    /// Tokens Studio estimated because the upstream reported none (part of the totals).
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub estimated_tokens: i64,
    /// Priced from the catalog when each request was made; models without pricing cost 0.
    #[diesel(sql_type = diesel::sql_types::Double)]
    pub cost_usd: f64,
    /// Images generated (image models), beside the tokens of chat models.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub images: i64,
}

impl UsageTotals {
    pub(crate) fn merge(&mut self, other: &UsageTotals) {
        self.requests += other.requests;
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.total_tokens += other.total_tokens;
        self.cancelled_requests += other.cancelled_requests;
        self.estimated_tokens += other.estimated_tokens;
        self.cost_usd += other.cost_usd;
        self.images += other.images;
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DayUsage {
    pub date: NaiveDate,
    #[serde(flatten)]
    pub totals: UsageTotals,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelUsage {
    pub model: String,
    #[serde(flatten)]
    pub totals: UsageTotals,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
    /// Tokens and cost (micro-dollars) since `since`, of the key (when given) and of the user.
    async fn spent_since(
        &self,
        user_id: &str,
        key_id: Option<&str>,
        since: NaiveDateTime,
    ) -> Result<(u64, u64, u64, u64), DbError>;
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
    async fn spent_since(
        &self,
        user_id: &str,
        key_id: Option<&str>,
        since: NaiveDateTime,
    ) -> Result<(u64, u64, u64, u64), DbError> {
        store::month_spend(&self.pool, user_id, key_id, since).await
    }

    async fn report(&self, user_id: &str, query: UsageQuery) -> Result<UsageReport, DbError> {
        let groups = store::grouped(
            &self.pool,
            user_id,
            query.from,
            query.to,
            query.bucket_secs(),
        )
        .await?;
        let mut by_day: BTreeMap<NaiveDate, UsageTotals> = BTreeMap::new();
        let mut by_model: BTreeMap<String, UsageTotals> = BTreeMap::new();
        for group in &groups {
            let day = query.day_of_bucket(group.bucket);
            by_day.entry(day).or_default().merge(&group.totals);
            by_model
                .entry(group.model.clone())
                .or_default()
                .merge(&group.totals);
        }
        Ok(UsageReport::assemble(&query, by_day, by_model))
    }
}

impl UsageReport {
    /// The report of `query` from its sums by day and by model; the totals are the days'.
    pub(crate) fn assemble(
        query: &UsageQuery,
        by_day: BTreeMap<NaiveDate, UsageTotals>,
        by_model: impl IntoIterator<Item = (String, UsageTotals)>,
    ) -> Self {
        let mut totals = UsageTotals::default();
        by_day.values().for_each(|day| totals.merge(day));
        UsageReport {
            from: query.from,
            to: query.to,
            tz: query.tz_name(),
            totals,
            by_day: by_day
                .into_iter()
                .map(|(date, totals)| DayUsage { date, totals })
                .collect(),
            by_model: by_model
                .into_iter()
                .map(|(model, totals)| ModelUsage { model, totals })
                .collect(),
        }
    }
}
