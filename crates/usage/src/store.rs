//! The `usage_records` table: idempotent batch inserts and the grouped report query.

use diesel::{
    prelude::*,
    sql_types::{BigInt, Text, Timestamp},
};
use diesel_async::RunQueryDsl;
use studio_core::{db_run, schema::usage_records, DbError, DbPool};

use crate::{UsageRecord, UsageTotals};

/// Rows per full statement: a fixed number, so the statement is the same every time and
/// prepared once per connection (diesel caches statements by type, and only a fixed-size
/// array of rows has one; a slice of any length is built and prepared again each time, which
/// cost more than the rows themselves). 64 rows × 17 columns stay far below PostgreSQL's
/// 65,535 and SQLite's 32,766 bound values.
pub(crate) const ROWS_PER_STATEMENT: usize = 64;

/// `INSERT … ON CONFLICT DO NOTHING` of one row, a fixed-size array of rows or a slice (a
/// macro: diesel's upsert types are not nameable outside it).
macro_rules! insert_or_ignore {
    ($rows:expr) => {
        diesel::insert_into(usage_records::table)
            .values($rows)
            .on_conflict_do_nothing()
    };
}

/// Inserts the records, skipping any whose id is already stored (a journal replay after a
/// crash, a batch retried after a timeout): a request is never counted twice.
///
/// All in one transaction: full [`ROWS_PER_STATEMENT`] statements, then the rest. On SQLite
/// (run in one blocking task: one commit and one thread hop per batch) the rest goes row by
/// row through one cached single-row statement; on PostgreSQL in one statement (one round
/// trip).
pub async fn insert_batch(pool: &DbPool, batch: &[UsageRecord]) -> Result<(), DbError> {
    db_run!(
        pool,
        sqlite = |conn| {
            let rows = batch.to_vec();
            conn.spawn_blocking(move |conn| {
                use diesel::Connection;
                conn.transaction(|conn| {
                    let (full, rest) = rows.as_chunks::<ROWS_PER_STATEMENT>();
                    for chunk in full {
                        diesel::RunQueryDsl::execute(insert_or_ignore!(chunk), conn)?;
                    }
                    for row in rest {
                        diesel::RunQueryDsl::execute(insert_or_ignore!(row), conn)?;
                    }
                    Ok(())
                })
            })
            .await
        },
        postgres = |conn| {
            use diesel_async::AsyncConnection;
            conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                let (full, rest) = batch.as_chunks::<ROWS_PER_STATEMENT>();
                for chunk in full {
                    insert_or_ignore!(chunk).execute(conn).await?;
                }
                if !rest.is_empty() {
                    insert_or_ignore!(rest).execute(conn).await?;
                }
                Ok(())
            })
            .await
        }
    )
}

/// One group of the report: a time bucket (seconds since the epoch divided by the bucket
/// size) and a model, with its sums.
#[derive(Debug, Clone, QueryableByName)]
pub struct UsageGroup {
    #[diesel(sql_type = BigInt)]
    pub bucket: i64,
    #[diesel(sql_type = Text)]
    pub model: String,
    #[diesel(embed)]
    pub totals: UsageTotals,
}

/// The sums of a report's groups, in `UsageTotals`' column names (shared with the admin report).
pub(crate) const SUM_COLUMNS: &str = "COUNT(*) AS requests, \
    CAST(COALESCE(SUM(prompt_tokens), 0) AS BIGINT) AS prompt_tokens, \
    CAST(COALESCE(SUM(completion_tokens), 0) AS BIGINT) AS completion_tokens, \
    CAST(COALESCE(SUM(total_tokens), 0) AS BIGINT) AS total_tokens, \
    CAST(COALESCE(SUM(CASE WHEN cancelled THEN 1 ELSE 0 END), 0) AS BIGINT) \
        AS cancelled_requests, \
    CAST(COALESCE(SUM(CASE WHEN estimated THEN total_tokens ELSE 0 END), 0) AS BIGINT) \
        AS estimated_tokens, \
    CAST(COALESCE(SUM(cost_usd), 0) AS DOUBLE PRECISION) AS cost_usd, \
    CAST(COALESCE(SUM(images), 0) AS BIGINT) AS images";

/// The sums per bucket and model, computed by the database on the (user, time) index: the
/// dashboard reads a few hundred rows, not every request of the range.
pub async fn grouped(
    pool: &DbPool,
    user_id: &str,
    from: chrono::NaiveDateTime,
    to: chrono::NaiveDateTime,
    bucket_secs: i64,
) -> Result<Vec<UsageGroup>, DbError> {
    let sums = format!(
        "model, {SUM_COLUMNS} \
        FROM usage_records WHERE user_id = $1 AND created_at >= $2 AND created_at < $3 \
        GROUP BY bucket, model ORDER BY bucket, model"
    );
    let sqlite =
        format!("SELECT CAST(strftime('%s', created_at) AS INTEGER) / $4 AS bucket, {sums}");
    let postgres = format!(
        "SELECT CAST(FLOOR(EXTRACT(EPOCH FROM created_at)) AS BIGINT) / $4 AS bucket, {sums}"
    );
    db_run!(
        pool,
        sqlite = |conn| {
            diesel::sql_query(sqlite.replace('$', "?"))
                .bind::<Text, _>(user_id)
                .bind::<Timestamp, _>(from)
                .bind::<Timestamp, _>(to)
                .bind::<BigInt, _>(bucket_secs)
                .load::<UsageGroup>(conn)
                .await
        },
        postgres = |conn| {
            diesel::sql_query(&postgres)
                .bind::<Text, _>(user_id)
                .bind::<Timestamp, _>(from)
                .bind::<Timestamp, _>(to)
                .bind::<BigInt, _>(bucket_secs)
                .load::<UsageGroup>(conn)
                .await
        }
    )
}

#[derive(QueryableByName)]
struct Spend {
    #[diesel(sql_type = BigInt)]
    tokens: i64,
    #[diesel(sql_type = diesel::sql_types::Double)]
    cost_usd: f64,
}

/// Tokens and cost (micro-dollars) since `since`: of the key when given, and of the user.
pub async fn month_spend(
    pool: &DbPool,
    user_id: &str,
    key_id: Option<&str>,
    since: chrono::NaiveDateTime,
) -> Result<(u64, u64, u64, u64), DbError> {
    const SUMS: &str = "SELECT CAST(COALESCE(SUM(total_tokens), 0) AS BIGINT) AS tokens, \
        CAST(COALESCE(SUM(cost_usd), 0) AS DOUBLE PRECISION) AS cost_usd FROM usage_records \
        WHERE created_at >= $1 AND ";
    let run = |sql: String, value: String| async move {
        db_run!(
            pool,
            sqlite = |conn| diesel::sql_query(sql.replace('$', "?"))
                .bind::<Timestamp, _>(since)
                .bind::<Text, _>(&value)
                .get_result::<Spend>(conn)
                .await,
            postgres = |conn| diesel::sql_query(&sql)
                .bind::<Timestamp, _>(since)
                .bind::<Text, _>(&value)
                .get_result::<Spend>(conn)
                .await
        )
    };
    let user = run(format!("{SUMS}user_id = $2"), user_id.to_owned()).await?;
    let key = match key_id {
        Some(key_id) => run(format!("{SUMS}api_key_id = $2"), key_id.to_owned()).await?,
        None => Spend {
            tokens: 0,
            cost_usd: 0.0,
        },
    };
    let micros = |usd: f64| (usd.max(0.0) * 1e6).round() as u64;
    Ok((
        key.tokens.max(0) as u64,
        micros(key.cost_usd),
        user.tokens.max(0) as u64,
        micros(user.cost_usd),
    ))
}
