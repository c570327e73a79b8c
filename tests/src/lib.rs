//! Test harness for black-box HTTP tests: a fresh database per test on each backend and the
//! real gateway started in-process on a random port.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod app;
mod database;
mod http;
pub mod images;
pub mod oidc;
pub mod sign_in;
pub mod upstream;

pub use app::TestApp;
pub use database::{Backend, TestDb};
pub use http::TestResponse;

use std::{future::Future, panic::AssertUnwindSafe};

use futures_util::FutureExt;

/// Runs `body` against a fresh database of `backend`, then stops every gateway it started and
/// drops the database, whether the body passed or panicked.
pub async fn run_test<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Some(db) = TestDb::create(backend).await else {
        static SAID_SO: std::sync::Once = std::sync::Once::new();
        SAID_SO.call_once(|| {
            eprintln!("PostgreSQL tests skipped: set TEST_DATABASE_URL to run them");
        });
        return;
    };
    let outcome = AssertUnwindSafe(body(db.clone())).catch_unwind().await;
    db.cleanup().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

pub use studio_test_macros::db_test;

pub use app::TEST_SECRET;

/// Registers a user and returns the sign-up response body.
pub async fn register(app: &TestApp, email: &str) -> serde_json::Value {
    app.post(
        "/api/auth/register",
        &serde_json::json!({ "email": email, "password": "correct horse battery", "firstName": "Ada" }),
    )
    .await
    .expect(201)
}

/// Registers a user and returns their access token.
pub async fn access_token(app: &TestApp, email: &str) -> String {
    register(app, email).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Creates an API key for the user of `token` and returns the full key.
pub async fn api_key(app: &TestApp, token: &str) -> String {
    app.post_auth(
        "/api/keys",
        token,
        &serde_json::json!({ "name": "test key" }),
    )
    .await
    .expect(201)["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Every usage record in the test's database (after letting the batch writer flush).
pub async fn usage_records(db: &TestDb) -> Vec<studio_usage::UsageRecord> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use studio_core::{db_run, schema::usage_records};
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    let target = TestApp::config(db, &[]).unwrap().database;
    let pool = studio_core::db::connect(&target, 1).await.unwrap();
    db_run!(&pool, |conn| usage_records::table
        .select(studio_usage::UsageRecord::as_select())
        .load(conn)
        .await)
    .unwrap()
}
