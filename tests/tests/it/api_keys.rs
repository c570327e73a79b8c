//! API keys: management under /api/keys (JWT only) and authentication of /v1 with them.

use actix_web::http::Method;
use serde_json::json;
use studio_tests::{access_token, api_key, db_test, eventually, TestApp, TestDb};

#[db_test]
async fn a_key_authenticates_v1_until_revoked(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let token = access_token(&app, "ada@example.com").await;
    let created = app
        .post_auth("/api/keys", &token, &json!({"name": "laptop"}))
        .await
        .expect(201);
    let key = created["key"].as_str().unwrap();
    assert!(key.starts_with("sk-studio-") && key.len() >= 10 + 43);
    assert_eq!(created["name"], "laptop");
    assert_eq!(created["prefix"].as_str().unwrap(), &key[..14]);
    assert_eq!(created["lastFour"].as_str().unwrap(), &key[key.len() - 4..]);
    assert!(created["createdAt"].is_string() && created["expiresAt"].is_null());

    let models = app.get_auth("/v1/models", key).await.expect(200);
    assert_eq!(models["object"], "list");

    // lastUsedAt is written by the batch writer, not by the request.
    let listed = eventually(5, "lastUsedAt never written", || async {
        let list = app.get_auth("/api/keys", &token).await.expect(200);
        list[0]["lastUsedAt"].is_string().then_some(list)
    })
    .await;
    let entry = &listed[0];
    assert!(
        entry.get("key").is_none(),
        "the list leaks the key: {entry}"
    );
    assert!(!listed.to_string().contains(key));
    assert!(entry["revokedAt"].is_null());

    let id = created["id"].as_str().unwrap();
    let renamed = app
        .send_auth(
            Method::PATCH,
            &format!("/api/keys/{id}"),
            &token,
            Some(&json!({"name": "desktop"})),
        )
        .await
        .expect(200);
    assert_eq!(renamed["name"], "desktop");
    app.send_auth(Method::DELETE, &format!("/api/keys/{id}"), &token, None)
        .await
        .expect(204);
    let refused = app
        .get_auth("/v1/models", key)
        .await
        .expect_openai_error(401);
    assert_eq!(refused["error"]["code"], "invalid_api_key");
    let listed = app.get_auth("/api/keys", &token).await.expect(200);
    assert!(
        listed[0]["revokedAt"].is_string(),
        "revoked keys stay listed for the usage history"
    );
}

#[db_test]
async fn revocation_reaches_another_instance_within_seconds(db: TestDb) {
    let first = TestApp::spawn(&db).await;
    let second = TestApp::spawn(&db).await;
    let token = access_token(&first, "ada@example.com").await;
    let created = first
        .post_auth("/api/keys", &token, &json!({"name": "k"}))
        .await
        .expect(201);
    let key = created["key"].as_str().unwrap();
    second.get_auth("/v1/models", key).await.expect(200);
    first
        .send_auth(
            Method::DELETE,
            &format!("/api/keys/{}", created["id"].as_str().unwrap()),
            &token,
            None,
        )
        .await
        .expect(204);
    eventually(
        6,
        "the other instance still accepts a revoked key",
        || async { (second.get_auth("/v1/models", key).await.status == 401).then_some(()) },
    )
    .await;
}

#[db_test]
async fn expired_wrong_and_missing_keys_are_refused_openai_style(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let token = access_token(&app, "ada@example.com").await;
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    let created = app
        .post_auth(
            "/api/keys",
            &token,
            &json!({"name": "short-lived", "expiresAt": soon}),
        )
        .await
        .expect(201);
    assert!(created["expiresAt"].is_string());
    let key = created["key"].as_str().unwrap();
    app.get_auth("/v1/models", key).await.expect(200);
    let refused = eventually(5, "an expired key still works", || async {
        let response = app.get_auth("/v1/models", key).await;
        (response.status == 401).then_some(response)
    })
    .await;
    assert_eq!(
        refused.expect_openai_error(401)["error"]["code"],
        "invalid_api_key"
    );

    let past = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    app.post_auth(
        "/api/keys",
        &token,
        &json!({"name": "old", "expiresAt": past}),
    )
    .await
    .expect_api_error(400, "validation_error");

    let wrong = format!("sk-studio-{}", "A".repeat(43));
    assert_eq!(
        app.get_auth("/v1/models", &wrong)
            .await
            .expect_openai_error(401)["error"]["code"],
        "invalid_api_key"
    );
    let missing = app.get("/v1/models").await;
    assert_eq!(
        missing.expect_openai_error(401)["error"]["code"],
        "missing_api_key"
    );
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
}

#[db_test]
async fn jwt_and_api_key_both_work_on_v1_but_keys_cannot_manage_keys(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let token = access_token(&app, "ada@example.com").await;
    let key = api_key(&app, &token).await;
    app.get_auth("/v1/models", &token).await.expect(200);
    app.get_auth("/v1/models", &key).await.expect(200);
    app.get_auth("/api/keys", &key)
        .await
        .expect_api_error(401, "invalid_token");
    app.post_auth("/api/keys", &key, &json!({"name": "x"}))
        .await
        .expect_api_error(401, "invalid_token");
    app.get("/api/keys")
        .await
        .expect_api_error(401, "missing_token");
}

#[db_test]
async fn another_users_key_is_not_found(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let ada = access_token(&app, "ada@example.com").await;
    let bob = access_token(&app, "bob@example.com").await;
    let created = app
        .post_auth("/api/keys", &ada, &json!({"name": "ada's"}))
        .await
        .expect(201);
    let path = format!("/api/keys/{}", created["id"].as_str().unwrap());
    app.send_auth(Method::DELETE, &path, &bob, None)
        .await
        .expect_api_error(404, "not_found");
    app.send_auth(Method::PATCH, &path, &bob, Some(&json!({"name": "mine"})))
        .await
        .expect_api_error(404, "not_found");
    assert!(app
        .get_auth("/api/keys", &bob)
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .is_empty());
    app.get_auth("/v1/models", created["key"].as_str().unwrap())
        .await
        .expect(200);
}

#[db_test]
async fn active_keys_are_capped_per_user(db: TestDb) {
    let app = TestApp::spawn_with(&db, &[("STUDIO_MAX_API_KEYS_PER_USER", "2")]).await;
    let token = access_token(&app, "ada@example.com").await;
    let first = app
        .post_auth("/api/keys", &token, &json!({"name": "1"}))
        .await
        .expect(201);
    app.post_auth("/api/keys", &token, &json!({"name": "2"}))
        .await
        .expect(201);
    app.post_auth("/api/keys", &token, &json!({"name": "3"}))
        .await
        .expect_api_error(409, "too_many_keys");
    app.post_auth("/api/keys", &token, &json!({"name": " "}))
        .await
        .expect_api_error(400, "validation_error");
    app.send_auth(
        Method::DELETE,
        &format!("/api/keys/{}", first["id"].as_str().unwrap()),
        &token,
        None,
    )
    .await
    .expect(204);
    app.post_auth("/api/keys", &token, &json!({"name": "3"}))
        .await
        .expect(201);
}

#[db_test]
async fn a_key_expires_at_most_ten_years_ahead(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let token = access_token(&app, "ada@example.com").await;
    let in_years =
        |years: i64| (chrono::Utc::now() + chrono::Duration::days(365 * years)).to_rfc3339();
    for far in [in_years(11), "+99999-01-01T00:00:00Z".to_owned()] {
        let refused = app
            .post_auth("/api/keys", &token, &json!({"name": "k", "expiresAt": far}))
            .await;
        assert_eq!(refused.status, 400, "{far}: {}", refused.text());
    }
    app.post_auth(
        "/api/keys",
        &token,
        &json!({"name": "k", "expiresAt": in_years(9)}),
    )
    .await
    .expect(201);
}
