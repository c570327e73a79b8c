//! Signed-in sessions: logout, revocation across instances, password changes, profile, devices.

use actix_web::http::Method;
use serde_json::json;
use studio_tests::{db_test, eventually, register, TestApp, TestDb};

const PASSWORD: &str = "correct horse battery";

#[db_test]
async fn logout_ends_the_session_and_its_access_token(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let body = register(&app, "ada@example.com").await;
    let token = body["accessToken"].as_str().unwrap();
    let other = app
        .post(
            "/api/auth/login",
            &json!({"email": "ada@example.com", "password": PASSWORD}),
        )
        .await
        .expect(200);
    app.request(
        Method::POST,
        "/api/auth/logout",
        &[("authorization", &format!("Bearer {token}"))],
        Some(&json!({"refreshToken": body["refreshToken"]})),
    )
    .await
    .expect(204);
    app.get_auth("/api/auth/me", token)
        .await
        .expect_api_error(401, "invalid_token");
    app.post(
        "/api/auth/refresh",
        &json!({"refreshToken": body["refreshToken"]}),
    )
    .await
    .expect_api_error(401, "invalid_refresh_token");
    // The other device is untouched; logging out with no body works too.
    let other_token = other["accessToken"].as_str().unwrap();
    app.get_auth("/api/auth/me", other_token).await.expect(200);
    app.request(
        Method::POST,
        "/api/auth/logout",
        &[("authorization", &format!("Bearer {other_token}"))],
        None,
    )
    .await
    .expect(204);
    app.get_auth("/api/auth/me", other_token)
        .await
        .expect_api_error(401, "invalid_token");
    app.post("/api/auth/logout", &json!({}))
        .await
        .expect_api_error(401, "missing_token");
}

#[db_test]
async fn a_logout_reaches_other_instances_within_seconds(db: TestDb) {
    let first = TestApp::spawn(&db).await;
    let second = TestApp::spawn(&db).await;
    let token = studio_tests::access_token(&first, "ada@example.com").await;
    second.get_auth("/api/auth/me", &token).await.expect(200);
    first
        .post_auth("/api/auth/logout", &token, &json!({}))
        .await
        .expect(204);
    eventually(6, "the other instance still accepts the token", || async {
        (second.get_auth("/api/auth/me", &token).await.status == 401).then_some(())
    })
    .await;
}

#[db_test]
async fn password_change_ends_every_other_session(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let body = register(&app, "ada@example.com").await;
    let token = body["accessToken"].as_str().unwrap();
    let other = app
        .post(
            "/api/auth/login",
            &json!({"email": "ada@example.com", "password": PASSWORD}),
        )
        .await
        .expect(200);
    app.post_auth(
        "/api/auth/password",
        token,
        &json!({"currentPassword": "wrong password", "newPassword": "new password 123"}),
    )
    .await
    .expect_api_error(400, "wrong_password");
    app.post_auth(
        "/api/auth/password",
        token,
        &json!({"currentPassword": PASSWORD, "newPassword": "short"}),
    )
    .await
    .expect_api_error(400, "validation_error");
    app.post_auth(
        "/api/auth/password",
        token,
        &json!({"currentPassword": PASSWORD, "newPassword": "new password 123"}),
    )
    .await
    .expect(204);
    app.get_auth("/api/auth/me", token).await.expect(200);
    app.get_auth("/api/auth/me", other["accessToken"].as_str().unwrap())
        .await
        .expect_api_error(401, "invalid_token");
    app.post(
        "/api/auth/refresh",
        &json!({"refreshToken": other["refreshToken"]}),
    )
    .await
    .expect_api_error(401, "invalid_refresh_token");
    app.post(
        "/api/auth/login",
        &json!({"email": "ada@example.com", "password": PASSWORD}),
    )
    .await
    .expect_api_error(401, "invalid_credentials");
    app.post(
        "/api/auth/login",
        &json!({"email": "ada@example.com", "password": "new password 123"}),
    )
    .await
    .expect(200);
}

#[db_test]
async fn profile_updates_are_saved(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let token = studio_tests::access_token(&app, "ada@example.com").await;
    let user = app
        .send_auth(
            Method::PATCH,
            "/api/auth/me",
            &token,
            Some(&json!({"lastName": "Byron"})),
        )
        .await
        .expect(200);
    assert_eq!(
        (user["firstName"].as_str(), user["lastName"].as_str()),
        (Some("Ada"), Some("Byron"))
    );
    app.send_auth(
        Method::PATCH,
        "/api/auth/me",
        &token,
        Some(&json!({"firstName": "x".repeat(101)})),
    )
    .await
    .expect_api_error(400, "validation_error");
    assert_eq!(
        app.get_auth("/api/auth/me", &token).await.expect(200)["lastName"],
        "Byron"
    );
}

#[db_test]
async fn users_see_and_end_only_their_own_sessions(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let ada = register(&app, "ada@example.com").await;
    let ada_token = ada["accessToken"].as_str().unwrap();
    let phone = app
        .request(
            Method::POST,
            "/api/auth/login",
            &[("user-agent", "StudioPhone/1.0")],
            Some(&json!({"email": "ada@example.com", "password": PASSWORD})),
        )
        .await
        .expect(200);
    let bob_token = studio_tests::access_token(&app, "bob@example.com").await;
    let sessions = app
        .get_auth("/api/auth/sessions", ada_token)
        .await
        .expect(200);
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let phone_session = sessions
        .iter()
        .find(|s| s["userAgent"] == "StudioPhone/1.0")
        .unwrap();
    for field in ["createdAt", "lastUsedAt", "expiresAt"] {
        assert!(phone_session[field].is_string());
    }
    let path = format!(
        "/api/auth/sessions/{}",
        phone_session["id"].as_str().unwrap()
    );
    app.send_auth(Method::DELETE, &path, &bob_token, None)
        .await
        .expect_api_error(404, "not_found");
    assert_eq!(
        app.get_auth("/api/auth/sessions", &bob_token)
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.send_auth(Method::DELETE, &path, ada_token, None)
        .await
        .expect(204);
    app.get_auth("/api/auth/me", phone["accessToken"].as_str().unwrap())
        .await
        .expect_api_error(401, "invalid_token");
    app.send_auth(Method::DELETE, &path, ada_token, None)
        .await
        .expect_api_error(404, "not_found");
    app.get("/api/auth/sessions")
        .await
        .expect_api_error(401, "missing_token");
}
