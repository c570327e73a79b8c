//! Limits an attacker cannot turn against a user: failed sign-ins count per client (an IPv6
//! /64 is one client) and per (account, client), never per account alone.

use actix_web::http::Method;
use serde_json::{json, Value};
use studio_tests::{db_test, register, smtp::MailServer, TestApp, TestDb, TestResponse};

const PASSWORD: &str = "correct horse battery";

/// A gateway behind a "proxy" (the test itself), so each request can say which client it is.
async fn behind_proxy(db: &TestDb, extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("STUDIO_TRUSTED_PROXIES", "127.0.0.1")];
    vars.extend_from_slice(extra);
    TestApp::spawn_with(db, &vars).await
}

async fn post_from(app: &TestApp, ip: &str, path: &str, body: &Value) -> TestResponse {
    let headers = [("x-forwarded-for", ip)];
    app.request(Method::POST, path, &headers, Some(body)).await
}

async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> TestResponse {
    let body = json!({"email": email, "password": password});
    post_from(app, ip, "/api/auth/login", &body).await
}

#[db_test]
async fn a_stranger_failing_against_an_account_does_not_lock_its_owner_out(db: TestDb) {
    let app = behind_proxy(&db, &[]).await;
    register(&app, "ada@example.com").await;
    for _ in 0..11 {
        let failed = login_from(&app, "6.6.6.6", "ada@example.com", "wrong password").await;
        assert!(
            matches!(failed.status.as_u16(), 401 | 429),
            "{}",
            failed.text()
        );
    }
    let limited = login_from(&app, "6.6.6.6", "ADA@example.com", "wrong password").await;
    limited.expect_api_error(429, "rate_limited");
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    // The owner, from their own address and in any letter case, still signs in.
    login_from(&app, "1.2.3.4", "Ada@Example.com", PASSWORD)
        .await
        .expect(200);
    login_from(&app, "1.2.3.4", "ada@example.com", PASSWORD)
        .await
        .expect(200);
}

#[db_test]
async fn successes_do_not_count_and_an_ipv6_client_is_its_whole_64(db: TestDb) {
    let app = behind_proxy(&db, &[("STUDIO_AUTH_RATE_LIMIT", "3")]).await;
    register(&app, "ada@example.com").await;
    for _ in 0..6 {
        login_from(&app, "2001:db8:1:2::1", "ada@example.com", PASSWORD)
            .await
            .expect(200);
    }
    for host in 1..=3 {
        let ip = format!("2001:db8:1:2::{host}");
        login_from(&app, &ip, "ada@example.com", "wrong password")
            .await
            .expect(401);
    }
    // Another address in the same /64 is the same client; the next /64 is not.
    login_from(&app, "2001:db8:1:2:ffff::9", "ada@example.com", PASSWORD)
        .await
        .expect_api_error(429, "rate_limited");
    login_from(&app, "2001:db8:1:3::1", "ada@example.com", PASSWORD)
        .await
        .expect(200);
}

#[db_test]
async fn wrong_current_passwords_are_throttled(db: TestDb) {
    let app = behind_proxy(&db, &[("STUDIO_AUTH_RATE_LIMIT", "3")]).await;
    let token = studio_tests::access_token(&app, "ada@example.com").await;
    let bearer = format!("Bearer {token}");
    let headers = [
        ("authorization", bearer.as_str()),
        ("x-forwarded-for", "6.6.6.6"),
    ];
    let body = json!({"currentPassword": "guess", "newPassword": "another good password"});
    for expected in [400, 400, 400, 429] {
        let response = app
            .request(Method::POST, "/api/auth/password", &headers, Some(&body))
            .await;
        assert_eq!(response.status, expected, "{}", response.text());
    }
}

#[db_test]
async fn forgot_and_resend_are_throttled(db: TestDb) {
    let mail = MailServer::start().await;
    let app = behind_proxy(
        &db,
        &[
            ("STUDIO_AUTH_RATE_LIMIT", "2"),
            ("EMAIL_SMTP_URL", &mail.url),
        ],
    )
    .await;
    let token = studio_tests::access_token(&app, "ada@example.com").await;
    let forgot = json!({"email": "someone@example.com"});
    for _ in 0..2 {
        post_from(&app, "6.6.6.6", "/api/auth/password/forgot", &forgot)
            .await
            .expect(202);
    }
    post_from(&app, "6.6.6.6", "/api/auth/password/forgot", &forgot)
        .await
        .expect_api_error(429, "rate_limited");
    for _ in 0..2 {
        app.post_auth("/api/auth/verify-email/resend", &token, &json!({}))
            .await
            .expect(202);
    }
    app.post_auth("/api/auth/verify-email/resend", &token, &json!({}))
        .await
        .expect_api_error(429, "rate_limited");
}
