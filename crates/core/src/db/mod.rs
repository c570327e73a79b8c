//! One pool type for both databases, and the macro that writes each query once for both.

mod blocking;
mod checkout;
mod migrate;
mod pool;

pub use checkout::SqliteCheckout;
pub use migrate::{run_migrations, MigrationError};
pub use pool::{connect, SqliteConn};

use diesel_async::{pooled_connection::deadpool::Pool, AsyncPgConnection};

/// The connection pool; the arm is chosen by `DATABASE_URL`'s scheme.
#[derive(Clone)]
pub enum DbPool {
    Sqlite(Pool<SqliteConn>),
    Postgres(Pool<AsyncPgConnection>),
}

impl std::fmt::Debug for DbPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.backend_name())
    }
}

impl DbPool {
    pub fn backend_name(&self) -> &'static str {
        match self {
            DbPool::Sqlite(_) => "sqlite",
            DbPool::Postgres(_) => "postgres",
        }
    }

    /// Connections (in use, idle) right now, for the metrics.
    pub fn connections(&self) -> (usize, usize) {
        let status = match self {
            DbPool::Sqlite(pool) => pool.status(),
            DbPool::Postgres(pool) => pool.status(),
        };
        (
            status.size.saturating_sub(status.available),
            status.available,
        )
    }

    /// Whether the database answers a trivial query (readiness probe).
    pub async fn ping(&self) -> Result<(), DbError> {
        use diesel_async::RunQueryDsl;
        crate::db_run!(self, |conn| diesel::sql_query("SELECT 1")
            .execute(conn)
            .await)
        .map(|_| ())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database unavailable: {0}")]
    Pool(String),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
}

impl DbError {
    /// Whether the error is a unique-constraint violation (the caller maps it to a conflict).
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }

    /// Whether the database could not be reached, dropped the connection or stayed locked:
    /// the same request can succeed a moment later (the caller answers 503, not 500).
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            DbError::Pool(_) => true,
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)) => true,
            DbError::Query(Error::DatabaseError(_, info)) => {
                let message = info.message();
                // SQLite's SQLITE_BUSY/LOCKED once the busy timeout is spent; PostgreSQL's
                // admin shutdown (57P01) and "not accepting connections" (55000).
                [
                    "database is locked",
                    "database is busy",
                    "terminating connection",
                    "not currently accepting connections",
                ]
                .iter()
                .any(|needle| message.contains(needle))
            }
            DbError::Query(_) => false,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, DbError::Query(diesel::result::Error::NotFound))
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for DbError {
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        DbError::Pool(error.to_string())
    }
}

/// Runs the same diesel body against whichever backend the pool holds.
///
/// The body is compiled once per backend, so the type checker verifies every query for
/// both. It is a plain diesel expression of type `QueryResult<T>` (a `?` inside it stays
/// inside it), and the macro is an expression of type `Result<T, DbError>`: no hidden
/// early return from the calling function.
///
/// ```ignore
/// let user = db_run!(&pool, |conn| users::table.find(id).first::<User>(conn).await)?;
/// // A backend-specific statement (rare: upserts) names each arm:
/// db_run!(&pool, sqlite = |conn| sqlite_body, postgres = |conn| postgres_body)
/// ```
#[macro_export]
macro_rules! db_run {
    ($pool:expr, |$conn:ident| $body:expr) => {
        $crate::db_run!($pool, sqlite = |$conn| $body, postgres = |$conn| $body)
    };
    ($pool:expr, sqlite = |$sconn:ident| $sbody:expr, postgres = |$pconn:ident| $pbody:expr $(,)?) => {
        match $pool {
            $crate::db::DbPool::Sqlite(pool) => match pool.get().await {
                Ok(connection) => {
                    // Back to the pool only if the body ran to the end (see SqliteCheckout).
                    let mut checkout = $crate::db::SqliteCheckout::new(connection);
                    let result: ::diesel::QueryResult<_> = match checkout.connection() {
                        Some($sconn) => async { $sbody }.await,
                        None => Err(::diesel::result::Error::BrokenTransactionManager),
                    };
                    checkout.finished();
                    result.map_err($crate::db::DbError::from)
                }
                Err(error) => Err($crate::db::DbError::from(error)),
            },
            $crate::db::DbPool::Postgres(pool) => match pool.get().await {
                Ok(mut connection) => {
                    let $pconn = &mut *connection;
                    let result: ::diesel::QueryResult<_> = async { $pbody }.await;
                    result.map_err($crate::db::DbError::from)
                }
                Err(error) => Err($crate::db::DbError::from(error)),
            },
        }
    };
}
