//! The `images` table.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use studio_core::{db_run, schema::images, DbError, DbPool};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = images, treat_none_as_default_value = false)]
pub struct ImageRow {
    pub id: String,
    pub user_id: String,
    pub api_key_id: Option<String>,
    pub model: String,
    pub prompt: String,
    pub revised_prompt: Option<String>,
    pub size: String,
    pub width: i32,
    pub height: i32,
    pub format: String,
    pub bytes: i64,
    pub file_name: String,
    pub thumbnail_name: String,
    pub created_at: NaiveDateTime,
}

/// What one page of the gallery asks for.
pub struct ListQuery<'a> {
    pub user_id: &'a str,
    /// Only ids older than this one (the cursor).
    pub before: Option<&'a str>,
    pub model: Option<&'a str>,
    pub limit: i64,
}

pub struct Store {
    pool: DbPool,
}

impl Store {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }

    /// All rows of one generation, or none of them.
    pub async fn insert_all(&self, rows: &[ImageRow]) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| {
            conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                for row in rows {
                    diesel::insert_into(images::table)
                        .values(row)
                        .execute(conn)
                        .await?;
                }
                Ok(())
            })
            .await
        })
    }

    pub async fn find(&self, id: &str) -> Result<Option<ImageRow>, DbError> {
        db_run!(&self.pool, |conn| images::table
            .find(id)
            .select(ImageRow::as_select())
            .first(conn)
            .await
            .optional())
    }

    pub async fn owned(&self, user_id: &str, id: &str) -> Result<Option<ImageRow>, DbError> {
        db_run!(&self.pool, |conn| images::table
            .find(id)
            .filter(images::user_id.eq(user_id))
            .select(ImageRow::as_select())
            .first(conn)
            .await
            .optional())
    }

    /// Newest first: ids are UUIDv7, ordered by creation time.
    pub async fn list(&self, query: &ListQuery<'_>) -> Result<Vec<ImageRow>, DbError> {
        db_run!(&self.pool, |conn| {
            let mut select = images::table
                .filter(images::user_id.eq(query.user_id))
                .into_boxed();
            if let Some(before) = query.before {
                select = select.filter(images::id.lt(before));
            }
            if let Some(model) = query.model {
                select = select.filter(images::model.eq(model));
            }
            select
                .order(images::id.desc())
                .limit(query.limit)
                .select(ImageRow::as_select())
                .load(conn)
                .await
        })
    }

    /// Deletes the row if it belongs to `user_id`; returns it.
    pub async fn delete_owned(&self, user_id: &str, id: &str) -> Result<Option<ImageRow>, DbError> {
        db_run!(&self.pool, |conn| diesel::delete(
            images::table.find(id).filter(images::user_id.eq(user_id))
        )
        .returning(ImageRow::as_returning())
        .get_result(conn)
        .await
        .optional())
    }

    /// Whether any row still points at this file (identical images share one).
    pub async fn file_in_use(&self, name: &str) -> Result<bool, DbError> {
        let count: i64 = db_run!(&self.pool, |conn| images::table
            .filter(
                images::file_name
                    .eq(name)
                    .or(images::thumbnail_name.eq(name))
            )
            .count()
            .get_result(conn)
            .await)?;
        Ok(count > 0)
    }
}
