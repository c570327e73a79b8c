//! Accounts: sign-up, sign-in, token checks, refresh rotation, logout, password, devices.

use actix_web::http::Method;
use serde_json::json;
use studio_tests::{db_test, register, TestApp, TestDb};

const PASSWORD: &str = "correct horse battery";

#[db_test]
async fn register_returns_tokens_and_the_camel_case_user(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let body = app
        .post("/api/auth/register", &json!({"email": "  Ada@Example.com ", "password": PASSWORD, "firstName": "Ada", "lastName": "Lovelace"}))
        .await
        .expect(201);
    assert_eq!(body["tokenType"], "Bearer");
    assert_eq!(body["expiresIn"], 900);
    assert!(body["accessToken"].as_str().unwrap().split('.').count() == 3);
    assert!(body["refreshToken"].as_str().unwrap().len() >= 43);
    let user = &body["user"];
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["firstName"], "Ada");
    assert_eq!(user["lastName"], "Lovelace");
    assert!(user["avatarUrl"].is_null());
    for field in ["id", "createdAt", "updatedAt"] {
        assert!(user[field].is_string(), "{field} missing: {user}");
    }
    let me = app
        .get_auth("/api/auth/me", body["accessToken"].as_str().unwrap())
        .await
        .expect(200);
    assert_eq!(&me, user);
}

#[db_test]
async fn bad_registrations_name_the_problem(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let bad_email = app
        .post(
            "/api/auth/register",
            &json!({"email": "nope", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        bad_email.expect_api_error(400, "validation_error")["error"]["details"]["field"],
        "email"
    );
    let short = app
        .post(
            "/api/auth/register",
            &json!({"email": "a@example.com", "password": "short"}),
        )
        .await;
    let body = short.expect_api_error(400, "validation_error");
    assert_eq!(body["error"]["details"]["field"], "password");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("8 and 128"));
    let missing = app
        .post("/api/auth/register", &json!({"email": "a@example.com"}))
        .await;
    assert!(
        missing.expect_api_error(400, "bad_request")["error"]["message"]
            .as_str()
            .unwrap()
            .contains("password")
    );
    register(&app, "taken@example.com").await;
    app.post(
        "/api/auth/register",
        &json!({"email": "TAKEN@example.com", "password": PASSWORD}),
    )
    .await
    .expect_api_error(409, "email_taken");
}

#[db_test]
async fn unknown_email_and_wrong_password_get_the_same_401(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    register(&app, "ada@example.com").await;
    let ok = app
        .post(
            "/api/auth/login",
            &json!({"email": "ADA@example.com", "password": PASSWORD}),
        )
        .await;
    assert!(ok.expect(200)["accessToken"].is_string());
    let wrong = app
        .post(
            "/api/auth/login",
            &json!({"email": "ada@example.com", "password": "wrong password"}),
        )
        .await;
    let unknown = app
        .post(
            "/api/auth/login",
            &json!({"email": "who@example.com", "password": "wrong password"}),
        )
        .await;
    assert_eq!(
        wrong.expect_api_error(401, "invalid_credentials"),
        unknown.expect_api_error(401, "invalid_credentials")
    );
    assert_eq!(wrong.header("www-authenticate"), Some("Bearer"));
}

#[db_test]
async fn refresh_rotates_and_reuse_revokes_the_whole_family(db: TestDb) {
    // Without the grace window, so that the replay right after rotation counts as reuse.
    let app = TestApp::spawn_with(&db, &[("STUDIO_REFRESH_GRACE_SECS", "0")]).await;
    let first = register(&app, "ada@example.com").await;
    let old = first["refreshToken"].as_str().unwrap();
    let second = app
        .post("/api/auth/refresh", &json!({"refreshToken": old}))
        .await
        .expect(200);
    let new = second["refreshToken"].as_str().unwrap();
    assert_ne!(old, new);
    assert_ne!(first["accessToken"], second["accessToken"]);
    // The old token is spent: presenting it again is theft, and ends the family.
    app.post("/api/auth/refresh", &json!({"refreshToken": old}))
        .await
        .expect_api_error(401, "invalid_refresh_token");
    app.post("/api/auth/refresh", &json!({"refreshToken": new}))
        .await
        .expect_api_error(401, "invalid_refresh_token");
    app.get_auth("/api/auth/me", second["accessToken"].as_str().unwrap())
        .await
        .expect_api_error(401, "invalid_token");
    app.post("/api/auth/refresh", &json!({"refreshToken": "rt_made_up"}))
        .await
        .expect_api_error(401, "invalid_refresh_token");
}

#[db_test]
async fn api_bodies_that_cannot_be_read_get_clear_errors(db: TestDb) {
    let app = TestApp::spawn_with(&db, &[("STUDIO_MAX_BODY_BYTES", "1024")]).await;
    let malformed = app
        .send_raw(
            Method::POST,
            "/api/auth/login",
            "application/json",
            b"{\"email\": ".to_vec(),
        )
        .await;
    let message = malformed.expect_api_error(400, "bad_request")["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("line 1 column"), "{message}");
    let big = format!("{{\"email\":\"{}\",\"password\":\"x\"}}", "a".repeat(2048));
    app.send_raw(
        Method::POST,
        "/api/auth/login",
        "application/json",
        big.into_bytes(),
    )
    .await
    .expect_api_error(413, "payload_too_large");
    app.send_raw(
        Method::POST,
        "/api/auth/login",
        "text/plain",
        b"{}".to_vec(),
    )
    .await
    .expect_api_error(415, "unsupported_media_type");
    app.get("/api/auth/login")
        .await
        .expect_api_error(405, "method_not_allowed");
}

#[db_test]
async fn health_answers_promptly_while_passwords_hash(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let signups = futures_util::future::join_all((0..6).map(|i| {
        let app = &app;
        async move { register(app, &format!("user{i}@example.com")).await }
    }));
    let probe = async { app.get("/healthz").await.expect(200) };
    futures_util::join!(signups, probe);
}
