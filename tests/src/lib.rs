//! Test harness for black-box HTTP tests: a fresh database per test on each backend and the
//! real gateway started in-process on a random port.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod app;
mod database;
mod http;
pub mod images;
pub mod oidc;
pub mod outage;
pub mod prometheus;
pub mod redis;
pub mod sessions;
pub mod sign_in;
pub mod smtp;
pub mod sse;
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

/// Polls `check` until it gives a value, failing the test with `what` after `within_secs`:
/// the way to wait for background work (pollers, batch writers, expiry) without fixed sleeps.
pub async fn eventually<T, F, Fut>(within_secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(within_secs);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(std::time::Instant::now() < deadline, "{what}");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

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

/// Registers a user and follows the verification link mailed to `mail`; returns the sign-up
/// body (whose `user.emailVerified` was still false).
pub async fn register_verified(
    app: &TestApp,
    mail: &smtp::MailServer,
    email: &str,
) -> serde_json::Value {
    let body = register(app, email).await;
    let token = mail
        .wait_for(email, "verify-email", 0)
        .await
        .token()
        .unwrap();
    let verified = app
        .post(
            "/api/auth/verify-email",
            &serde_json::json!({ "token": token }),
        )
        .await
        .expect(200);
    assert_eq!(verified["emailVerified"], true);
    body
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

/// The usage records in the test's database once there are at least `count` (the batch writer
/// flushes in the background), polling until a deadline.
pub async fn usage_records(db: &TestDb, count: usize) -> Vec<studio_usage::UsageRecord> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use studio_core::{db_run, schema::usage_records};
    let target = TestApp::config(db, &[]).unwrap().database;
    let pool = studio_core::db::connect(&target, 1).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let records = db_run!(&pool, |conn| usage_records::table
            .select(studio_usage::UsageRecord::as_select())
            .order(usage_records::created_at.asc())
            .load(conn)
            .await)
        .unwrap();
        if records.len() >= count || std::time::Instant::now() > deadline {
            return records;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}
