//! The `chat_sessions` and `chat_messages` tables.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use studio_core::{
    db_run,
    schema::{chat_messages, chat_sessions},
    DbError, DbPool,
};

use crate::rows::{MessageRow, SessionRow, STREAMING};

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Where a page of sessions starts: after this `(updatedAt, id)`.
pub(crate) struct Cursor {
    pub updated_at: NaiveDateTime,
    pub id: String,
}

pub(crate) struct SessionFilter<'a> {
    pub user_id: &'a str,
    pub archived: Option<bool>,
    /// A `LIKE` pattern, lower-cased and escaped with `\`.
    pub pattern: Option<String>,
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// Which streaming replies `end_streaming` ends.
pub(crate) enum Streaming<'a> {
    Message(&'a str),
    /// This instance's, as it stops.
    OwnedBy(&'a str),
    /// Those whose owner stopped checkpointing before this: their process is gone.
    CheckpointedBefore(NaiveDateTime),
}

/// What a finished reply stores.
pub(crate) struct Outcome<'a> {
    pub status: &'a str,
    pub content: &'a str,
    pub error: Option<&'a str>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub estimated: bool,
}

#[derive(Clone)]
pub(crate) struct Store {
    pool: DbPool,
}

impl Store {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }

    pub async fn insert_session(&self, row: &SessionRow) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| diesel::insert_into(chat_sessions::table)
            .values(row)
            .execute(conn)
            .await
            .map(|_| ()))
    }

    pub async fn session(&self, user_id: &str, id: &str) -> Result<Option<SessionRow>, DbError> {
        db_run!(&self.pool, |conn| chat_sessions::table
            .find(id)
            .filter(chat_sessions::user_id.eq(user_id))
            .select(SessionRow::as_select())
            .first(conn)
            .await
            .optional())
    }

    /// Newest first by `(updatedAt, id)`: a keyset, so sessions created meanwhile (which sort
    /// first) never shift the next page.
    pub async fn sessions(&self, filter: SessionFilter<'_>) -> Result<Vec<SessionRow>, DbError> {
        db_run!(&self.pool, |conn| {
            let mut query = chat_sessions::table
                .filter(chat_sessions::user_id.eq(filter.user_id))
                .into_boxed();
            if let Some(archived) = filter.archived {
                query = query.filter(chat_sessions::archived.eq(archived));
            }
            if let Some(pattern) = &filter.pattern {
                let in_messages = chat_messages::table
                    .filter(lower(chat_messages::content).like(pattern).escape('\\'))
                    .select(chat_messages::session_id);
                query = query.filter(
                    lower(chat_sessions::title)
                        .like(pattern)
                        .escape('\\')
                        .or(chat_sessions::id.eq_any(in_messages)),
                );
            }
            if let Some(after) = &filter.after {
                query = query.filter(
                    chat_sessions::updated_at
                        .lt(after.updated_at)
                        .or(chat_sessions::updated_at
                            .eq(after.updated_at)
                            .and(chat_sessions::id.lt(&after.id))),
                );
            }
            query
                .order((chat_sessions::updated_at.desc(), chat_sessions::id.desc()))
                .limit(filter.limit)
                .select(SessionRow::as_select())
                .load(conn)
                .await
        })
    }

    pub async fn update_session(&self, row: &SessionRow) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| diesel::update(
            chat_sessions::table.find(&row.id)
        )
        .set((
            chat_sessions::title.eq(&row.title),
            chat_sessions::model.eq(&row.model),
            chat_sessions::system_prompt.eq(&row.system_prompt),
            chat_sessions::params.eq(&row.params),
            chat_sessions::archived.eq(row.archived),
            chat_sessions::pinned.eq(row.pinned),
            chat_sessions::current_leaf_id.eq(&row.current_leaf_id),
            chat_sessions::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
        .await
        .map(|_| ()))
    }

    pub async fn delete_session(&self, id: &str) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| {
            // Messages first: SQLite only cascades with foreign keys on, and this does not
            // depend on it.
            diesel::delete(chat_messages::table.filter(chat_messages::session_id.eq(id)))
                .execute(conn)
                .await?;
            diesel::delete(chat_sessions::table.find(id))
                .execute(conn)
                .await
                .map(|_| ())
        })
    }

    pub async fn messages(&self, session_id: &str) -> Result<Vec<MessageRow>, DbError> {
        db_run!(&self.pool, |conn| chat_messages::table
            .filter(chat_messages::session_id.eq(session_id))
            .order((chat_messages::created_at.asc(), chat_messages::id.asc()))
            .select(MessageRow::as_select())
            .load(conn)
            .await)
    }

    pub async fn message(&self, session_id: &str, id: &str) -> Result<Option<MessageRow>, DbError> {
        db_run!(&self.pool, |conn| chat_messages::table
            .find(id)
            .filter(chat_messages::session_id.eq(session_id))
            .select(MessageRow::as_select())
            .first(conn)
            .await
            .optional())
    }

    /// Adds messages and moves the session's leaf to the last of them, in one transaction.
    pub async fn append(
        &self,
        session_id: &str,
        rows: &[MessageRow],
        now: NaiveDateTime,
    ) -> Result<(), DbError> {
        let leaf = rows.last().map(|r| r.id.clone());
        db_run!(&self.pool, |conn| {
            conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                for row in rows {
                    diesel::insert_into(chat_messages::table)
                        .values(row)
                        .execute(conn)
                        .await?;
                }
                diesel::update(chat_sessions::table.find(session_id))
                    .set((
                        chat_sessions::current_leaf_id.eq(&leaf),
                        chat_sessions::updated_at.eq(now),
                    ))
                    .execute(conn)
                    .await?;
                Ok(())
            })
            .await
        })
    }

    /// Writes a streaming reply's text so far; 0 rows means it is no longer streaming
    /// (cancelled from another instance, or deleted).
    pub async fn checkpoint(
        &self,
        id: &str,
        content: &str,
        now: NaiveDateTime,
    ) -> Result<usize, DbError> {
        db_run!(&self.pool, |conn| diesel::update(
            chat_messages::table
                .find(id)
                .filter(chat_messages::status.eq(STREAMING))
        )
        .set((
            chat_messages::content.eq(content),
            chat_messages::checkpointed_at.eq(now),
        ))
        .execute(conn)
        .await)
    }

    /// Stores how a reply ended, if it is still in status `from` (`streaming`; or `cancelled`
    /// when another instance cancelled it and the owner adds the text it had by then).
    pub async fn finish(
        &self,
        id: &str,
        from: &str,
        outcome: &Outcome<'_>,
        now: NaiveDateTime,
    ) -> Result<usize, DbError> {
        db_run!(&self.pool, |conn| diesel::update(
            chat_messages::table
                .find(id)
                .filter(chat_messages::status.eq(from))
        )
        .set((
            chat_messages::status.eq(outcome.status),
            chat_messages::content.eq(outcome.content),
            chat_messages::error.eq(outcome.error),
            chat_messages::prompt_tokens.eq(outcome.prompt_tokens),
            chat_messages::completion_tokens.eq(outcome.completion_tokens),
            chat_messages::estimated.eq(outcome.estimated),
            chat_messages::checkpointed_at.eq(now),
            chat_messages::completed_at.eq(now),
        ))
        .execute(conn)
        .await)
    }

    /// Ends streaming replies from outside their task (another instance's cancel, a stopping
    /// or dead owner): the checkpointed text stays.
    pub async fn end_streaming(
        &self,
        which: Streaming<'_>,
        status: &str,
        error: Option<&str>,
        now: NaiveDateTime,
    ) -> Result<usize, DbError> {
        db_run!(&self.pool, |conn| {
            let mut update = diesel::update(chat_messages::table)
                .filter(chat_messages::status.eq(STREAMING))
                .into_boxed();
            update = match which {
                Streaming::Message(id) => update.filter(chat_messages::id.eq(id)),
                Streaming::OwnedBy(owner) => update.filter(chat_messages::owner.eq(owner)),
                Streaming::CheckpointedBefore(cutoff) => {
                    update.filter(chat_messages::checkpointed_at.lt(cutoff))
                }
            };
            update
                .set((
                    chat_messages::status.eq(status),
                    chat_messages::error.eq(error),
                    chat_messages::completed_at.eq(now),
                ))
                .execute(conn)
                .await
        })
    }
}
