//! The audit log records each security event, refused ones too; a user sees only their own.

use actix_web::http::Method;
use serde_json::{json, Value};
use studio_tests::{
    api_key, db_test, eventually, register_verified, smtp::MailServer, TestApp, TestDb,
};

use super::{admin_token, PASSWORD};

/// The audit log as an admin reads it, once it holds an event matching each of `wanted`
/// (`action`, `outcome`): the writer is batched, off the request path.
async fn audit_log(app: &TestApp, admin: &str, wanted: &[(&str, &str)]) -> Vec<Value> {
    eventually(10, "audit events never arrived", || async {
        let page = app
            .get_auth("/api/admin/audit?limit=100", admin)
            .await
            .expect(200);
        let events = page["items"].as_array().unwrap().clone();
        let has = |(action, outcome): &(&str, &str)| {
            events
                .iter()
                .any(|e| e["action"] == *action && e["outcome"] == *outcome)
        };
        wanted.iter().all(has).then_some(events)
    })
    .await
}

#[db_test]
async fn the_audit_log_records_every_security_event(db: TestDb) {
    let mail = MailServer::start().await;
    let app = TestApp::spawn_with(&db, &[("EMAIL_SMTP_URL", &mail.url)]).await;
    let admin = admin_token(&app, "root@example.com").await;
    let ada = register_verified(&app, &mail, "ada@example.com").await;
    let ada_id = ada["user"]["id"].as_str().unwrap().to_owned();
    let token = ada["accessToken"].as_str().unwrap().to_owned();
    let wrong = json!({"email": "ada@example.com", "password": "not the password"});
    app.post("/api/auth/login", &wrong).await.expect(401);
    let login = json!({"email": "ada@example.com", "password": PASSWORD});
    let second = app.post("/api/auth/login", &login).await.expect(200);
    let sessions = app.get_auth("/api/auth/sessions", &token).await.expect(200);
    let other = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap();
    let path = format!("/api/auth/sessions/{}", other["id"].as_str().unwrap());
    app.send_auth(Method::DELETE, &path, &token, None)
        .await
        .expect(204);
    let change = json!({"currentPassword": PASSWORD, "newPassword": "a new long password"});
    app.post_auth("/api/auth/password", &token, &change)
        .await
        .expect(204);
    app.post(
        "/api/auth/password/forgot",
        &json!({"email": "ada@example.com"}),
    )
    .await
    .expect(202);
    let reset = mail
        .wait_for("ada@example.com", "reset-password", 0)
        .await
        .token()
        .unwrap();
    app.post(
        "/api/auth/password/reset",
        &json!({"token": reset, "password": PASSWORD}),
    )
    .await
    .expect(204);
    let token = app.post("/api/auth/login", &login).await.expect(200)["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let _ = second;
    let key = app
        .post_auth("/api/keys", &token, &json!({"name": "k"}))
        .await
        .expect(201);
    let key_path = format!("/api/keys/{}", key["id"].as_str().unwrap());
    app.send_auth(Method::DELETE, &key_path, &token, None)
        .await
        .expect(204);
    api_key(&app, &token).await;
    // Operators' actions, allowed and refused.
    app.get_auth("/api/admin/users", &token).await.expect(403);
    let user_path = format!("/api/admin/users/{ada_id}");
    for change in [
        json!({"role": "admin"}),
        json!({"disabled": true}),
        json!({"disabled": false}),
    ] {
        app.send_auth(Method::PATCH, &user_path, &admin, Some(&change))
            .await
            .expect(200);
    }
    let me = app.get_auth("/api/auth/me", &admin).await.expect(200);
    let root_id = me["id"].as_str().unwrap().to_owned();
    app.send_auth(
        Method::PATCH,
        &user_path,
        &admin,
        Some(&json!({"role": "user"})),
    )
    .await
    .expect(200);
    app.send_auth(
        Method::PATCH,
        &format!("/api/admin/users/{root_id}"),
        &admin,
        Some(&json!({"disabled": true})),
    )
    .await
    .expect(409);
    // Ada's keys went with the disable; the admin's own key is revoked as any other.
    api_key(&app, &admin).await;
    let keys = app.get_auth("/api/admin/keys", &admin).await.expect(200);
    let live = keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["revokedAt"].is_null())
        .unwrap();
    let key_path = format!("/api/admin/keys/{}", live["id"].as_str().unwrap());
    app.send_auth(Method::DELETE, &key_path, &admin, None)
        .await
        .expect(204);
    app.send_auth(Method::DELETE, &user_path, &admin, None)
        .await
        .expect(204);

    let events = audit_log(
        &app,
        &admin,
        &[
            ("auth.sign_up", "succeeded"),
            ("auth.email.verify", "succeeded"),
            ("auth.sign_in", "refused"),
            ("auth.sign_in", "succeeded"),
            ("auth.session.revoke", "succeeded"),
            ("auth.password.change", "succeeded"),
            ("auth.password.reset", "succeeded"),
            ("key.create", "succeeded"),
            ("key.revoke", "succeeded"),
            ("admin.access", "refused"),
            ("admin.user.role.admin", "succeeded"),
            ("admin.user.role.user", "succeeded"),
            ("admin.user.disable", "succeeded"),
            ("admin.user.disable", "refused"),
            ("admin.user.enable", "succeeded"),
            ("admin.key.revoke", "succeeded"),
            ("admin.user.delete", "succeeded"),
            ("admin.user.create", "succeeded"),
        ],
    )
    .await;
    let failed = events
        .iter()
        .find(|e| e["action"] == "auth.sign_in" && e["outcome"] == "refused")
        .unwrap();
    assert_eq!(failed["subjectId"], ada_id.as_str());
    assert!(failed["actorId"].is_null());
    assert!(failed["ipAddress"].is_string() && failed["requestId"].is_string());
    assert!(!failed.to_string().contains("not the password"), "{failed}");
    let refused = events
        .iter()
        .find(|e| e["action"] == "admin.user.disable" && e["outcome"] == "refused")
        .unwrap();
    assert_eq!(
        (refused["actorId"].as_str(), refused["subjectId"].as_str()),
        (Some(root_id.as_str()), Some(root_id.as_str()))
    );
    assert!(refused["details"].as_str().unwrap().contains("last_admin"));
    // Filters: by actor, by action prefix.
    let mine = app
        .get_auth(
            &format!("/api/admin/audit?actorId={root_id}&action=admin."),
            &admin,
        )
        .await
        .expect(200);
    assert!(mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actorId"] == root_id.as_str()
            && e["action"].as_str().unwrap().starts_with("admin.")));
}

#[db_test]
async fn a_users_activity_shows_only_their_own_events(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let ada = studio_tests::register(&app, "ada@example.com").await;
    let bob = studio_tests::register(&app, "bob@example.com").await;
    let wrong = json!({"email": "bob@example.com", "password": "not the password"});
    app.post("/api/auth/login", &wrong).await.expect(401);
    let (ada_id, bob_id) = (
        ada["user"]["id"].as_str().unwrap(),
        bob["user"]["id"].as_str().unwrap(),
    );
    let token = bob["accessToken"].as_str().unwrap();
    let events = eventually(10, "bob's events never arrived", || async {
        let page = app.get_auth("/api/auth/activity", token).await.expect(200);
        let items = page["items"].as_array().unwrap().clone();
        (items.len() >= 2).then_some(items)
    })
    .await;
    assert!(events
        .iter()
        .all(|e| e["subjectId"] == bob_id || e["actorId"] == bob_id));
    assert!(events
        .iter()
        .any(|e| e["action"] == "auth.sign_in" && e["outcome"] == "refused"));
    let theirs = app
        .get_auth("/api/auth/activity", ada["accessToken"].as_str().unwrap())
        .await
        .expect(200);
    assert!(theirs["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["subjectId"] == ada_id));
    app.get("/api/auth/activity")
        .await
        .expect_api_error(401, "missing_token");
    app.get_auth("/api/auth/activity?limit=0", token)
        .await
        .expect_api_error(400, "validation_error");
}
