//! One fresh database per test: a temp SQLite file, or a new PostgreSQL database dropped afterwards.

use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    inner: Arc<Inner>,
}

struct Inner {
    _dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
    servers: Mutex<Vec<ServerHandle>>,
}

impl TestDb {
    pub async fn create(backend: Backend) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("studio.db").display());
                Some(Self::new(backend, url, dir, None))
            }
            Backend::Postgres => {
                let admin_url = std::env::var("TEST_DATABASE_URL")
                    .ok()
                    .filter(|u| !u.is_empty())?;
                let name = format!("studio_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = AsyncPgConnection::establish(&admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                admin
                    .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&format!("/{name}"));
                Some(Self::new(
                    backend,
                    url.to_string(),
                    dir,
                    Some((admin_url, name)),
                ))
            }
        }
    }

    fn new(
        backend: Backend,
        url: String,
        dir: tempfile::TempDir,
        postgres: Option<(String, String)>,
    ) -> Self {
        Self {
            backend,
            url,
            inner: Arc::new(Inner {
                _dir: dir,
                postgres,
                servers: Mutex::new(Vec::new()),
            }),
        }
    }

    /// A folder private to this test (media files, catalogs).
    pub fn dir(&self) -> &std::path::Path {
        self.inner._dir.path()
    }

    pub(crate) fn track(&self, handle: ServerHandle) {
        self.inner.servers.lock().unwrap().push(handle);
    }

    pub(crate) async fn cleanup(&self) {
        let servers: Vec<_> = self.inner.servers.lock().unwrap().drain(..).collect();
        for server in servers {
            server.stop(false).await;
        }
        if let Some((admin_url, name)) = &self.inner.postgres {
            if let Ok(mut admin) = AsyncPgConnection::establish(admin_url).await {
                let _ = admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await;
            }
        }
    }
}
