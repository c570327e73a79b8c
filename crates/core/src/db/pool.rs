//! Building the pool for each backend.

use std::time::Duration;

use diesel::SqliteConnection;
use diesel_async::{
    pooled_connection::{deadpool::Pool, AsyncDieselConnectionManager, ManagerConfig},
    sync_connection_wrapper::SyncConnectionWrapper,
    AsyncConnection, AsyncPgConnection, SimpleAsyncConnection,
};
use futures_util::FutureExt;

use super::{blocking::DetachedBlocking, DbError, DbPool};
use crate::config::DatabaseTarget;

/// A SQLite connection whose queries run on the blocking pool (see [`DetachedBlocking`]).
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection, DetachedBlocking>;

/// Every SQLite connection: wait instead of failing when another connection holds a lock
/// (first, so the other pragmas wait too), enforce foreign keys, let readers and a writer
/// coexist (WAL).
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";

/// Opens a pool for the target, creating the SQLite file's folder if needed.
pub async fn connect(target: &DatabaseTarget, max_size: usize) -> Result<DbPool, DbError> {
    match target {
        DatabaseTarget::Sqlite(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    DbError::Pool(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
            let mut config = ManagerConfig::<SqliteConn>::default();
            config.custom_setup = Box::new(|url| {
                let url = url.to_owned();
                async move {
                    let mut conn = SqliteConn::establish(&url).await?;
                    conn.batch_execute(SQLITE_PRAGMAS)
                        .await
                        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                    Ok(conn)
                }
                .boxed()
            });
            let manager =
                AsyncDieselConnectionManager::new_with_config(path.to_string_lossy(), config);
            let pool = build(Pool::builder(manager), max_size)?;
            Ok(DbPool::Sqlite(pool))
        }
        DatabaseTarget::Postgres(url) => {
            let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url.as_str());
            let pool = build(Pool::builder(manager), max_size)?;
            Ok(DbPool::Postgres(pool))
        }
    }
}

fn build<M: deadpool::managed::Manager>(
    builder: deadpool::managed::PoolBuilder<M>,
    max_size: usize,
) -> Result<deadpool::managed::Pool<M>, DbError> {
    builder
        .max_size(max_size.max(1))
        .wait_timeout(Some(Duration::from_secs(5)))
        .create_timeout(Some(Duration::from_secs(5)))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| DbError::Pool(e.to_string()))
}
