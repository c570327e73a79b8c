//! The real gateway, started in-process on port 0 against a test database.

use std::collections::HashMap;

use actix_web::http::Method;
use serde_json::Value;
use studio_auth::oauth::providers_from_lookup;
use studio_core::Config;
use studio_gateway::Application;

use crate::{http::TestResponse, TestDb};

pub struct TestApp {
    pub base_url: String,
    pub client: awc::Client,
    pub db: TestDb,
    /// The metrics listener's base URL, when `STUDIO_METRICS_BIND` is set.
    pub metrics_url: Option<String>,
    /// `None` for a gateway running as its own process.
    handle: Option<actix_web::dev::ServerHandle>,
    /// The server task, which flushes the background writers once the server has stopped.
    running: std::cell::RefCell<Option<actix_web::rt::task::JoinHandle<std::io::Result<()>>>>,
}

pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret-0123";

impl TestApp {
    pub async fn spawn(db: &TestDb) -> Self {
        Self::spawn_with(db, &[]).await
    }

    /// Starts a gateway with the test defaults, overridden by `overrides`.
    pub async fn spawn_with(db: &TestDb, overrides: &[(&str, &str)]) -> Self {
        let config = Self::config(db, overrides).expect("test configuration is valid");
        let vars = Self::env(db, overrides);
        let oauth = providers_from_lookup(|name| vars.get(name).cloned())
            .expect("test OAuth configuration is valid");
        let app = Application::build(config, oauth)
            .await
            .expect("gateway starts");
        let port = app.port();
        let metrics_url = app.metrics_port().map(|p| format!("http://127.0.0.1:{p}"));
        let handle = app.handle();
        db.track(handle.clone());
        let running = actix_web::rt::spawn(app.run_until_stopped());
        Self {
            handle: Some(handle),
            metrics_url,
            running: std::cell::RefCell::new(Some(running)),
            base_url: format!("http://127.0.0.1:{port}"),
            client: awc::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .disable_redirects()
                .finish(),
            db: db.clone(),
        }
    }

    /// A client for a gateway that runs elsewhere (its own process) at `base_url`.
    pub fn external(base_url: String, client: awc::Client, db: &TestDb) -> Self {
        Self {
            base_url,
            client,
            db: db.clone(),
            metrics_url: None,
            handle: None,
            running: std::cell::RefCell::new(None),
        }
    }

    pub fn env(db: &TestDb, overrides: &[(&str, &str)]) -> HashMap<String, String> {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut vars: HashMap<String, String> = [
            ("STUDIO_ENV", "testing"),
            ("STUDIO_BIND", "127.0.0.1:0"),
            ("STUDIO_WORKERS", "1"),
            ("STUDIO_DATABASE_POOL_SIZE", "4"),
            ("JWT_SECRET_KEY", TEST_SECRET),
            ("SECRET_KEY", TEST_SECRET),
            ("STUDIO_LAST_USED_FLUSH_SECS", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        vars.insert("DATABASE_URL".into(), db.url.clone());
        vars.insert(
            "MEDIA_ROOT".into(),
            db.dir().join("media").display().to_string(),
        );
        vars.insert(
            "STUDIO_DATA_DIR".into(),
            db.dir().join("data").display().to_string(),
        );
        vars.insert(
            "STUDIO_MODELS_FILE".into(),
            format!("{root}/../config/models.toml"),
        );
        for (key, value) in overrides {
            vars.insert((*key).to_owned(), (*value).to_owned());
        }
        vars
    }

    pub fn config(
        db: &TestDb,
        overrides: &[(&str, &str)],
    ) -> Result<Config, Vec<studio_core::ConfigError>> {
        let vars = Self::env(db, overrides);
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    /// Stops the gateway as SIGTERM does (in-flight requests finish, background writers
    /// flush) and waits until it has.
    pub async fn stop(&self) {
        if let Some(handle) = &self.handle {
            handle.stop(true).await;
        }
        let running = self.running.borrow_mut().take();
        if let Some(running) = running {
            let _ = running.await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Sends a request; `headers` are added as given, `body` as JSON when present.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> TestResponse {
        let mut request = self.client.request(method, self.url(path));
        for (name, value) in headers {
            request = request.append_header((*name, *value));
        }
        let sent = match body {
            Some(json) => request.send_json(json).await,
            None => request.send().await,
        };
        read(sent.expect("request reaches the gateway")).await
    }

    /// Sends raw bytes with the given content type.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> TestResponse {
        let request = self
            .client
            .request(method, self.url(path))
            .insert_header(("content-type", content_type));
        read(
            request
                .send_body(body)
                .await
                .expect("request reaches the gateway"),
        )
        .await
    }

    /// Sends raw bytes with the given content type and a bearer token.
    pub async fn send_raw_auth(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> TestResponse {
        let request = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .insert_header(("content-type", content_type));
        read(
            request
                .send_body(body)
                .await
                .expect("request reaches the gateway"),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Method::GET, path, &[], None).await
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> TestResponse {
        let bearer = format!("Bearer {token}");
        self.request(Method::GET, path, &[("authorization", &bearer)], None)
            .await
    }

    pub async fn post(&self, path: &str, body: &Value) -> TestResponse {
        self.request(Method::POST, path, &[], Some(body)).await
    }

    pub async fn post_auth(&self, path: &str, token: &str, body: &Value) -> TestResponse {
        let bearer = format!("Bearer {token}");
        self.request(
            Method::POST,
            path,
            &[("authorization", &bearer)],
            Some(body),
        )
        .await
    }

    pub async fn send_auth(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> TestResponse {
        let bearer = format!("Bearer {token}");
        self.request(method, path, &[("authorization", &bearer)], body)
            .await
    }
}

pub(crate) async fn read<S>(mut response: awc::ClientResponse<S>) -> TestResponse
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, actix_web::error::PayloadError>>
        + Unpin,
{
    let body = response
        .body()
        .limit(64 * 1024 * 1024)
        .await
        .expect("response body");
    TestResponse {
        status: response.status(),
        headers: response.headers().clone(),
        body,
    }
}
