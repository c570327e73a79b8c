//! Disabling an account cuts it off everywhere within the revocation window; deleting one
//! removes it with everything it owns.

use actix_web::http::Method;
use serde_json::json;
use studio_tests::{api_key, db_test, eventually, register, TestApp, TestDb};

use super::{admin_token, record_usage, PASSWORD};

#[db_test]
async fn disabling_a_user_cuts_off_their_tokens_and_keys_on_another_instance(db: TestDb) {
    let a = TestApp::spawn(&db).await;
    let b = TestApp::spawn(&db).await;
    let admin = admin_token(&a, "root@example.com").await;
    let ada = register(&b, "ada@example.com").await;
    let (token, refresh) = (
        ada["accessToken"].as_str().unwrap(),
        ada["refreshToken"].as_str().unwrap(),
    );
    let key = api_key(&b, token).await;
    // Both credentials work on B, and B has cached them.
    b.get_auth("/api/auth/me", token).await.expect(200);
    b.get_auth("/v1/models", &key).await.expect(200);

    let path = format!("/api/admin/users/{}", ada["user"]["id"].as_str().unwrap());
    a.send_auth(
        Method::PATCH,
        &path,
        &admin,
        Some(&json!({"disabled": true})),
    )
    .await
    .expect(200);
    let started = std::time::Instant::now();
    // The documented window: a poll every 2 seconds (with slack for a slow machine).
    eventually(10, "B still accepts the disabled user's JWT", || async {
        (b.get_auth("/api/auth/me", token).await.status == 401).then_some(())
    })
    .await;
    eventually(
        10,
        "B still accepts the disabled user's API key",
        || async { (b.get_auth("/v1/models", &key).await.status == 401).then_some(()) },
    )
    .await;
    assert!(started.elapsed().as_secs() <= 6, "{:?}", started.elapsed());
    let login = json!({ "email": "ada@example.com", "password": PASSWORD });
    b.post("/api/auth/login", &login)
        .await
        .expect_api_error(403, "account_disabled");
    b.post("/api/auth/refresh", &json!({ "refreshToken": refresh }))
        .await
        .expect(401);

    // Enabled again: a new sign-in works; the old key stays revoked.
    a.send_auth(
        Method::PATCH,
        &path,
        &admin,
        Some(&json!({"disabled": false})),
    )
    .await
    .expect(200);
    let again = b.post("/api/auth/login", &login).await.expect(200);
    assert!(again["user"]["disabledAt"].is_null());
    b.get_auth("/v1/models", &key)
        .await
        .expect_openai_error(401);
}

#[db_test]
async fn deleting_a_user_removes_the_account_its_keys_and_its_usage(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let admin = admin_token(&app, "root@example.com").await;
    let ada = register(&app, "ada@example.com").await;
    let token = ada["accessToken"].as_str().unwrap();
    let key = api_key(&app, token).await;
    let id = ada["user"]["id"].as_str().unwrap();
    record_usage(&db, id, 7).await;
    let before = app.get_auth("/api/admin/usage", &admin).await.expect(200);
    assert_eq!(before["totals"]["totalTokens"], 7, "{before}");
    assert_eq!(before["byUser"][0]["id"], id);
    app.send_auth(
        Method::DELETE,
        &format!("/api/admin/users/{id}"),
        &admin,
        None,
    )
    .await
    .expect(204);
    app.get_auth(&format!("/api/admin/users/{id}"), &admin)
        .await
        .expect_api_error(404, "not_found");
    app.get_auth("/api/auth/me", token).await.expect(401);
    app.get_auth("/v1/models", &key)
        .await
        .expect_openai_error(401);
    let usage = app.get_auth("/api/admin/usage", &admin).await.expect(200);
    assert_eq!(usage["totals"]["requests"], 0, "{usage}");
    let keys = app.get_auth("/api/admin/keys", &admin).await.expect(200);
    assert!(keys["items"].as_array().unwrap().is_empty());
}
