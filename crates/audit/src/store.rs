//! Reading the audit log: newest first, cursor-paginated.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use studio_core::{db_run, schema::audit_events, DbError, DbPool, Page, PageRequest};

use crate::{AuditEvent, AuditFilter};

#[derive(Clone)]
pub struct AuditStore {
    pool: DbPool,
}

impl AuditStore {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }

    pub async fn insert(&self, events: &[AuditEvent]) -> Result<(), DbError> {
        // diesel has no multi-row insert for SQLite here: one statement a row, in one
        // transaction (one fsync). PostgreSQL takes the batch whole (10 binds a row).
        db_run!(
            &self.pool,
            sqlite = |conn| {
                let rows = events.to_vec();
                conn.spawn_blocking(move |conn| {
                    use diesel::Connection;
                    conn.transaction(|conn| {
                        for row in &rows {
                            diesel::RunQueryDsl::execute(
                                diesel::insert_into(audit_events::table).values(row),
                                conn,
                            )?;
                        }
                        Ok(())
                    })
                })
                .await
            },
            postgres = |conn| {
                diesel::insert_into(audit_events::table)
                    .values(events)
                    .execute(conn)
                    .await
                    .map(drop)
            }
        )
    }

    /// Every event matching `filter` (operators).
    pub async fn list(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEvent>, DbError> {
        let action_prefix = filter
            .action
            .as_deref()
            .filter(|a| a.ends_with('.'))
            .map(|a| format!("{}%", a.replace('%', "").replace('_', "\\_")));
        let rows = db_run!(&self.pool, |conn| {
            let mut query = audit_events::table
                .order(audit_events::id.desc())
                .limit(page.fetch())
                .select(AuditEvent::as_select())
                .into_boxed();
            if let Some(cursor) = &page.cursor {
                query = query.filter(audit_events::id.lt(cursor));
            }
            if let Some(actor) = &filter.actor_id {
                query = query.filter(audit_events::actor_id.eq(actor));
            }
            if let Some(subject) = &filter.subject_id {
                query = query.filter(audit_events::subject_id.eq(subject));
            }
            if let Some(user) = &filter.involving {
                query = query.filter(
                    audit_events::subject_id
                        .eq(user)
                        .or(audit_events::actor_id.eq(user)),
                );
            }
            match (&action_prefix, &filter.action) {
                (Some(prefix), _) => {
                    query = query.filter(audit_events::action.like(prefix).escape('\\'))
                }
                (None, Some(action)) => query = query.filter(audit_events::action.eq(action)),
                (None, None) => {}
            }
            query.load(conn).await
        })?;
        Ok(Page::from_rows(rows, page, |e| e.id.clone()))
    }

    /// A user's own events: what was done to their account and what they did.
    pub async fn activity(
        &self,
        user_id: &str,
        page: &PageRequest,
    ) -> Result<Page<AuditEvent>, DbError> {
        let filter = AuditFilter {
            involving: Some(user_id.to_owned()),
            ..AuditFilter::default()
        };
        self.list(&filter, page).await
    }
}
