use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use studio_core::{db_run, schema::usage_records, DbError, DbPool};

use crate::UsageRecord;

/// One statement on PostgreSQL. On SQLite (whose multi-row insert diesel does not offer for
/// rows with nullable columns) one transaction run in a single blocking task: one commit and
/// one thread hop per batch, not one per row.
pub async fn insert_batch(pool: &DbPool, batch: &[UsageRecord]) -> Result<(), DbError> {
    db_run!(
        pool,
        sqlite = |conn| {
            let rows = batch.to_vec();
            conn.spawn_blocking(move |conn| {
                use diesel::Connection;
                conn.transaction(|conn| {
                    for record in &rows {
                        diesel::RunQueryDsl::execute(
                            diesel::insert_into(usage_records::table).values(record),
                            conn,
                        )?;
                    }
                    Ok(())
                })
            })
            .await?;
            Ok(())
        },
        postgres = |conn| {
            diesel::insert_into(usage_records::table)
                .values(batch)
                .execute(conn)
                .await?;
            Ok(())
        }
    )
}

/// The rows the summaries are computed from: (time, model, prompt, completion, total).
pub type UsageRow = (NaiveDateTime, String, i64, i64, i64);

pub async fn rows_between(
    pool: &DbPool,
    user_id: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<UsageRow>, DbError> {
    db_run!(pool, |conn| usage_records::table
        .filter(usage_records::user_id.eq(user_id))
        .filter(usage_records::created_at.ge(from))
        .filter(usage_records::created_at.lt(to))
        .select((
            usage_records::created_at,
            usage_records::model,
            usage_records::prompt_tokens,
            usage_records::completion_tokens,
            usage_records::total_tokens,
        ))
        .load(conn)
        .await)
}
