//! Usage across every account, for operators: totals by day, model, user and key over a range
//! checked like `/api/usage`'s (`UsageQuery`), each summed by the database.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::{
    prelude::*,
    sql_types::{BigInt, Text, Timestamp},
};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use studio_core::{db_run, DbError, DbPool};

use crate::{store::SUM_COLUMNS, UsageQuery, UsageReport, UsageTotals};

/// How many users and keys a report names (the heaviest first).
pub const TOP: i64 = 100;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Share {
    /// A user id or a key id (`null` for JWT requests without a key).
    #[schema(required = true)]
    pub id: Option<String>,
    #[serde(flatten)]
    pub totals: UsageTotals,
}

/// `/api/usage`'s report over every account, with the heaviest users and keys.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminUsageReport {
    #[serde(flatten)]
    pub report: UsageReport,
    /// The `TOP` users by total tokens.
    pub by_user: Vec<Share>,
    /// The `TOP` keys by total tokens.
    pub by_key: Vec<Share>,
}

#[derive(Debug, Clone, QueryableByName)]
struct Group {
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    grp: Option<String>,
    #[diesel(embed)]
    totals: UsageTotals,
}

/// One grouped sum over the range; the key is a fixed SQL expression per backend, never input.
async fn grouped(
    pool: &DbPool,
    sqlite_key: &str,
    postgres_key: &str,
    query: &UsageQuery,
    limit: i64,
) -> Result<Vec<Group>, DbError> {
    let sums = format!(
        "{SUM_COLUMNS} FROM usage_records WHERE created_at >= $1 AND created_at < $2 \
        GROUP BY grp ORDER BY total_tokens DESC, grp LIMIT $3"
    );
    let sqlite = format!("SELECT {sqlite_key} AS grp, {sums}").replace('$', "?");
    let postgres = format!("SELECT {postgres_key} AS grp, {sums}");
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
            totals: g.totals,
            id: g.grp,
        })
        .collect()
}

/// More buckets than a year of quarter hours: the day grouping is never cut short.
const ALL: i64 = 40_000;

pub async fn admin_report(pool: &DbPool, query: UsageQuery) -> Result<AdminUsageReport, DbError> {
    let bucket = query.bucket_secs();
    let sqlite_bucket =
        format!("CAST(CAST(strftime('%s', created_at) AS INTEGER) / {bucket} AS TEXT)");
    let postgres_bucket =
        format!("CAST(CAST(FLOOR(EXTRACT(EPOCH FROM created_at)) AS BIGINT) / {bucket} AS TEXT)");
    let buckets = grouped(pool, &sqlite_bucket, &postgres_bucket, &query, ALL).await?;
    let mut by_day: BTreeMap<NaiveDate, UsageTotals> = BTreeMap::new();
    for group in &buckets {
        let index: i64 = group
            .grp
            .as_deref()
            .and_then(|k| k.parse().ok())
            .unwrap_or(0);
        by_day
            .entry(query.day_of_bucket(index))
            .or_default()
            .merge(&group.totals);
    }
    let by_model = grouped(pool, "model", "model", &query, ALL).await?;
    Ok(AdminUsageReport {
        report: UsageReport::assemble(
            &query,
            by_day,
            by_model
                .into_iter()
                .map(|g| (g.grp.unwrap_or_default(), g.totals)),
        ),
        by_user: shares(grouped(pool, "user_id", "user_id", &query, TOP).await?),
        by_key: shares(grouped(pool, "api_key_id", "api_key_id", &query, TOP).await?),
    })
}
