//! Embedded migrations for both backends, applied at start-up and by `cargo xtask migrate`.
//!
//! They run on a dedicated OS thread with synchronous connections: diesel-async's own
//! harness calls `block_in_place`, which panics on actix's single-threaded runtime.

use std::collections::HashSet;

use diesel::{migration::MigrationSource, Connection, RunQueryDsl, SqliteConnection};
use diesel_async::{async_connection_wrapper::AsyncConnectionWrapper, AsyncPgConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::DatabaseTarget;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Serialises migration runs of several gateway instances sharing one PostgreSQL database.
const MIGRATION_LOCK_KEY: i64 = 0x5354_5544_494f;

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("cannot connect to the database to migrate it: {0}")]
    Connect(String),
    #[error(
        "the database schema is newer than this binary (it has migration {0}, which this \
         binary does not know): upgrade Studio instead of running an older release against it"
    )]
    SchemaTooNew(String),
    #[error("migration failed: {0}")]
    Failed(String),
}

impl From<diesel::result::Error> for MigrationError {
    fn from(error: diesel::result::Error) -> Self {
        MigrationError::Failed(error.to_string())
    }
}

/// Applies pending migrations and returns the versions applied now.
pub async fn run_migrations(target: &DatabaseTarget) -> Result<Vec<String>, MigrationError> {
    let target = target.clone();
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("studio-migrate".into())
        .spawn(move || {
            let _ = sender.send(migrate_blocking(&target));
        })
        .map_err(|e| MigrationError::Failed(e.to_string()))?;
    receiver
        .await
        .map_err(|_| MigrationError::Failed("the migration thread stopped".into()))?
}

fn migrate_blocking(target: &DatabaseTarget) -> Result<Vec<String>, MigrationError> {
    match target {
        DatabaseTarget::Sqlite(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| MigrationError::Connect(e.to_string()))?;
            }
            let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                .map_err(|e| MigrationError::Connect(e.to_string()))?;
            diesel::sql_query("PRAGMA busy_timeout = 5000")
                .execute(&mut conn)
                .map_err(|e| MigrationError::Failed(e.to_string()))?;
            // Two instances may start together on one file too: an exclusive transaction is
            // SQLite's lock (each migration then runs in a savepoint inside it).
            conn.exclusive_transaction(|conn| apply(conn, SQLITE_MIGRATIONS))
        }
        DatabaseTarget::Postgres(url) => {
            let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(url)
                .map_err(|e| MigrationError::Connect(e.to_string()))?;
            lock(&mut conn, "pg_advisory_lock")?;
            let result = apply(&mut conn, POSTGRES_MIGRATIONS);
            lock(&mut conn, "pg_advisory_unlock")?;
            result
        }
    }
}

fn lock<C>(conn: &mut C, function: &str) -> Result<(), MigrationError>
where
    C: Connection<Backend = diesel::pg::Pg> + diesel::connection::LoadConnection,
{
    diesel::sql_query(format!("SELECT {function}({MIGRATION_LOCK_KEY})"))
        .execute(conn)
        .map(|_| ())
        .map_err(|e| MigrationError::Failed(e.to_string()))
}

fn apply<C, DB>(conn: &mut C, source: EmbeddedMigrations) -> Result<Vec<String>, MigrationError>
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
    EmbeddedMigrations: MigrationSource<DB>,
{
    let known: HashSet<String> = MigrationSource::<DB>::migrations(&source)
        .map_err(|e| MigrationError::Failed(e.to_string()))?
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    let applied = conn
        .applied_migrations()
        .map_err(|e| MigrationError::Failed(e.to_string()))?;
    if let Some(unknown) = applied
        .iter()
        .map(ToString::to_string)
        .find(|v| !known.contains(v))
    {
        return Err(MigrationError::SchemaTooNew(unknown));
    }
    let done = conn
        .run_pending_migrations(source)
        .map_err(|e| MigrationError::Failed(e.to_string()))?;
    Ok(done.iter().map(ToString::to_string).collect())
}
