//! Ending sessions: only your own, and logging out with the refresh token alone.

use actix_web::http::Method;
use serde_json::json;
use studio_tests::{db_test, register, TestApp, TestDb};

#[db_test]
async fn ending_someone_elses_session_is_404_and_leaves_their_tokens_working(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let victim = studio_tests::access_token(&app, "victim@example.com").await;
    let attacker = studio_tests::access_token(&app, "attacker@example.com").await;
    let sessions = app
        .get_auth("/api/auth/sessions", &victim)
        .await
        .expect(200);
    let path = format!("/api/auth/sessions/{}", sessions[0]["id"].as_str().unwrap());
    app.send_auth(Method::DELETE, &path, &attacker, None)
        .await
        .expect_api_error(404, "not_found");
    app.get_auth("/api/auth/me", &victim).await.expect(200);
    app.send_auth(
        Method::DELETE,
        "/api/auth/sessions/made-up",
        &attacker,
        None,
    )
    .await
    .expect_api_error(404, "not_found");
}

#[db_test]
async fn logout_with_only_the_refresh_token_ends_the_session(db: TestDb) {
    // A 1-minute access token stands in for an expired one: no Authorization header at all.
    let app = TestApp::spawn(&db).await;
    let body = register(&app, "ada@example.com").await;
    let refresh = body["refreshToken"].as_str().unwrap();
    app.post("/api/auth/logout", &json!({ "refreshToken": refresh }))
        .await
        .expect(204);
    app.post("/api/auth/refresh", &json!({ "refreshToken": refresh }))
        .await
        .expect_api_error(401, "invalid_refresh_token");
    app.get_auth("/api/auth/me", body["accessToken"].as_str().unwrap())
        .await
        .expect_api_error(401, "invalid_token");
    // An expired or forged access token with a good refresh token: still a logout.
    let other = register(&app, "bob@example.com").await;
    let headers = [("authorization", "Bearer expired.or.forged")];
    let logout = json!({ "refreshToken": other["refreshToken"] });
    app.request(Method::POST, "/api/auth/logout", &headers, Some(&logout))
        .await
        .expect(204);
    app.post("/api/auth/refresh", &logout)
        .await
        .expect_api_error(401, "invalid_refresh_token");
    // Neither token: unauthenticated.
    app.post("/api/auth/logout", &json!({}))
        .await
        .expect_api_error(401, "missing_token");
    app.post("/api/auth/logout", &json!({ "refreshToken": "rt_made_up" }))
        .await
        .expect_api_error(401, "invalid_refresh_token");
}
