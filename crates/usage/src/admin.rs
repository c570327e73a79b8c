//! Usage across every account, for operators: totals by day, model, user and key over a range
//! checked like `/api/usage`'s (`UsageQuery`), each summed by the database.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Text, Timestamp},
};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use studio_core::{db_run, DbError, DbPool};

use crate::{summary::DayUsage, UsageQuery, UsageTotals};

/// How many users and keys a report names (the heaviest first).
pub const TOP: i64 = 100;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Share {
    /// A model, a user id or a key id (`null` for JWT requests without a key).
    pub id: Option<String>,
    #[serde(flatten)]
    pub totals: UsageTotals,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminUsageReport {
    #[serde(with = "studio_core::time::serde_utc")]
    pub from: NaiveDateTime,
    #[serde(with = "studio_core::time::serde_utc")]
    pub to: NaiveDateTime,
    pub tz: String,
    pub totals: UsageTotals,
    pub by_day: Vec<DayUsage>,
    pub by_model: Vec<Share>,
    /// The `TOP` users by total tokens.
    pub by_user: Vec<Share>,
    /// The `TOP` keys by total tokens.
    pub by_key: Vec<Share>,
}

#[derive(Debug, Clone, QueryableByName)]
struct Group {
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    grp: Option<String>,
    #[diesel(sql_type = BigInt)]
    requests: i64,
    #[diesel(sql_type = BigInt)]
    prompt_tokens: i64,
    #[diesel(sql_type = BigInt)]
    completion_tokens: i64,
    #[diesel(sql_type = BigInt)]
    total_tokens: i64,
    #[diesel(sql_type = BigInt)]
    cancelled_requests: i64,
    #[diesel(sql_type = BigInt)]
    estimated_tokens: i64,
}

impl Group {
    fn totals(&self) -> UsageTotals {
        UsageTotals {
            requests: self.requests,
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.completion_tokens,
            total_tokens: self.total_tokens,
            cancelled_requests: self.cancelled_requests,
            estimated_tokens: self.estimated_tokens,
        }
    }
}

/// One grouped sum over the range; the key is a fixed SQL expression per backend, never input.
async fn grouped(
    pool: &DbPool,
    sqlite_key: &str,
    postgres_key: &str,
    query: &UsageQuery,
    limit: i64,
) -> Result<Vec<Group>, DbError> {
    const SUMS: &str = "COUNT(*) AS requests, \
        CAST(COALESCE(SUM(prompt_tokens), 0) AS BIGINT) AS prompt_tokens, \
        CAST(COALESCE(SUM(completion_tokens), 0) AS BIGINT) AS completion_tokens, \
        CAST(COALESCE(SUM(total_tokens), 0) AS BIGINT) AS total_tokens, \
        CAST(COALESCE(SUM(CASE WHEN cancelled THEN 1 ELSE 0 END), 0) AS BIGINT) \
            AS cancelled_requests, \
        CAST(COALESCE(SUM(CASE WHEN estimated THEN total_tokens ELSE 0 END), 0) AS BIGINT) \
            AS estimated_tokens \
        FROM usage_records WHERE created_at >= $1 AND created_at < $2 \
        GROUP BY grp ORDER BY total_tokens DESC, grp LIMIT $3";
    let sqlite = format!("SELECT {sqlite_key} AS grp, {SUMS}").replace('$', "?");
    let postgres = format!("SELECT {postgres_key} AS grp, {SUMS}");
    let (from, to) = (query.from, query.to);
    db_run!(
        pool,
        sqlite = |conn| diesel::sql_query(&sqlite)
            .bind::<Timestamp, _>(from)
            .bind::<Timestamp, _>(to)
            .bind::<BigInt, _>(limit)
            .load::<Group>(conn)
            .await,
        postgres = |conn| diesel::sql_query(&postgres)
            .bind::<Timestamp, _>(from)
            .bind::<Timestamp, _>(to)
            .bind::<BigInt, _>(limit)
            .load::<Group>(conn)
            .await
    )
}

fn shares(groups: Vec<Group>) -> Vec<Share> {
    groups
        .into_iter()
        .map(|g| Share {
            totals: g.totals(),
            id: g.grp,
        })
        .collect()
}

const DAY_SECS: i64 = 86_400;
/// Every time zone's offset is a multiple of 15 minutes, so such buckets fall in one local day.
const QUARTER_HOUR_SECS: i64 = 900;
/// More buckets than a year of quarter hours: the day grouping is never cut short.
const ALL: i64 = 40_000;

pub async fn admin_report(pool: &DbPool, query: UsageQuery) -> Result<AdminUsageReport, DbError> {
    let bucket = if query.tz.is_some() {
        QUARTER_HOUR_SECS
    } else {
        DAY_SECS
    };
    let sqlite_bucket =
        format!("CAST(CAST(strftime('%s', created_at) AS INTEGER) / {bucket} AS TEXT)");
    let postgres_bucket =
        format!("CAST(CAST(FLOOR(EXTRACT(EPOCH FROM created_at)) AS BIGINT) / {bucket} AS TEXT)");
    let buckets = grouped(pool, &sqlite_bucket, &postgres_bucket, &query, ALL).await?;
    let mut totals = UsageTotals::default();
    let mut by_day: BTreeMap<NaiveDate, UsageTotals> = BTreeMap::new();
    for group in &buckets {
        let index: i64 = group
            .grp
            .as_deref()
            .and_then(|k| k.parse().ok())
            .unwrap_or(0);
        let start = DateTime::from_timestamp(index * bucket, 0)
            .unwrap_or_default()
            .naive_utc();
        let day = match query.tz {
            Some(tz) => start.and_utc().with_timezone(&tz).date_naive(),
            None => start.date(),
        };
        let sum = group.totals();
        totals.merge(&sum);
        by_day.entry(day).or_default().merge(&sum);
    }
    Ok(AdminUsageReport {
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
        by_model: shares(grouped(pool, "model", "model", &query, ALL).await?),
        by_user: shares(grouped(pool, "user_id", "user_id", &query, TOP).await?),
        by_key: shares(grouped(pool, "api_key_id", "api_key_id", &query, TOP).await?),
    })
}
