//! Making a test's own database refuse writes for a while, without touching anyone else's.
//!
//! PostgreSQL: the database stops accepting connections and its sessions are terminated
//! (`ALLOW_CONNECTIONS false`), as in a failover or a restart. SQLite: another connection holds
//! an exclusive lock, so every write waits out its busy timeout and fails, as when another
//! process holds the file.

use std::sync::mpsc;

use diesel::{Connection, SqliteConnection};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

use crate::{Backend, TestDb};

pub struct Outage {
    db: TestDb,
    release: Option<mpsc::Sender<()>>,
    holder: Option<std::thread::JoinHandle<()>>,
}

fn database_name(url: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_owned()
}

async fn admin(db: &TestDb, sql: &str) {
    let admin_url = std::env::var("TEST_DATABASE_URL").unwrap();
    let mut admin = AsyncPgConnection::establish(&admin_url).await.unwrap();
    admin.batch_execute(sql).await.unwrap();
    let _ = db;
}

impl Outage {
    pub async fn start(db: &TestDb) -> Self {
        match db.backend {
            Backend::Postgres => {
                let name = database_name(&db.url);
                admin(
                    db,
                    &format!(
                        "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false; \
                         SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE datname = '{name}' AND pid <> pg_backend_pid();"
                    ),
                )
                .await;
                Self {
                    db: db.clone(),
                    release: None,
                    holder: None,
                }
            }
            Backend::Sqlite => {
                let path = db.url.trim_start_matches("sqlite://").to_owned();
                let (locked, wait_locked) = mpsc::channel();
                let (release, wait_release) = mpsc::channel::<()>();
                let holder = std::thread::spawn(move || {
                    let mut conn = SqliteConnection::establish(&path).unwrap();
                    diesel::connection::SimpleConnection::batch_execute(
                        &mut conn,
                        "PRAGMA busy_timeout = 10000; BEGIN EXCLUSIVE;",
                    )
                    .unwrap();
                    locked.send(()).unwrap();
                    let _ = wait_release.recv();
                    diesel::connection::SimpleConnection::batch_execute(&mut conn, "COMMIT;")
                        .unwrap();
                });
                wait_locked.recv().unwrap();
                Self {
                    db: db.clone(),
                    release: Some(release),
                    holder: Some(holder),
                }
            }
        }
    }

    pub async fn end(mut self) {
        match self.db.backend {
            Backend::Postgres => {
                let name = database_name(&self.db.url);
                admin(
                    &self.db,
                    &format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true;"),
                )
                .await;
            }
            Backend::Sqlite => {
                if let Some(release) = self.release.take() {
                    let _ = release.send(());
                }
                if let Some(holder) = self.holder.take() {
                    holder.join().unwrap();
                }
            }
        }
    }
}
