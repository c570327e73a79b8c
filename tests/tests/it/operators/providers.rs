//! Operators and provider sign-in: link and takeover are audited, a disabled account cannot
//! come back through a provider, and `STUDIO_ADMIN_EMAILS` promotes only a proved address.

use actix_web::http::Method;
use serde_json::json;
use studio_tests::{
    db_test, eventually, oidc::Identity, register_verified, sign_in::*, smtp::MailServer, TestApp,
    TestDb,
};

use super::{admin_token, claims, PASSWORD};

#[db_test]
async fn provider_links_and_takeovers_are_audited_and_a_disabled_account_stays_out(db: TestDb) {
    let p = setup(&db).await;
    let admin = admin_token(&p.app, "root@example.com").await;
    let squatter = studio_tests::register(&p.app, "victim@example.com").await;
    let owner = p.google("victim-google", "victim@example.com").await;
    assert_eq!(owner["user"]["id"], squatter["user"]["id"]);
    let newcomer = p.google("new-google", "new@example.com").await;
    let new_id = newcomer["user"]["id"].as_str().unwrap().to_owned();
    let wanted = [
        "auth.oauth.takeover",
        "auth.oauth.link",
        "auth.oauth.sign_in",
    ];
    let events = eventually(10, "provider events never arrived", || async {
        let page = p
            .app
            .get_auth("/api/admin/audit?action=auth.oauth.", &admin)
            .await
            .expect(200);
        let items = page["items"].as_array().unwrap().clone();
        wanted
            .iter()
            .all(|w| items.iter().any(|e| e["action"] == *w))
            .then_some(items)
    })
    .await;
    let takeover = events
        .iter()
        .find(|e| e["action"] == "auth.oauth.takeover")
        .unwrap();
    assert_eq!(takeover["subjectId"], squatter["user"]["id"]);

    let path = format!("/api/admin/users/{new_id}");
    p.app
        .send_auth(
            Method::PATCH,
            &path,
            &admin,
            Some(&json!({"disabled": true})),
        )
        .await
        .expect(200);
    let landed = sign_in(
        &p.app,
        &p.google,
        "google",
        Identity::new("new-google", "new@example.com"),
    )
    .await;
    exchange(&p.app, &landed["code"])
        .await
        .expect_api_error(403, "account_disabled");
}

#[db_test]
async fn listed_admin_emails_are_promoted_once_the_address_is_proved(db: TestDb) {
    let mail = MailServer::start().await;
    let app = TestApp::spawn_with(
        &db,
        &[
            ("EMAIL_SMTP_URL", &mail.url),
            ("STUDIO_ADMIN_EMAILS", "ops@example.com, Boss@Example.com"),
        ],
    )
    .await;
    // Signing up with a listed address proves nothing yet.
    let signed_up = register_verified(&app, &mail, "boss@example.com").await;
    assert_eq!(signed_up["user"]["role"], "user");
    app.get_auth(
        "/api/admin/users",
        signed_up["accessToken"].as_str().unwrap(),
    )
    .await
    .expect_api_error(403, "forbidden");
    let login = json!({"email": "boss@example.com", "password": PASSWORD});
    let body = app.post("/api/auth/login", &login).await.expect(200);
    assert_eq!(body["user"]["role"], "admin");
    let token = body["accessToken"].as_str().unwrap();
    assert_eq!(claims(token)["role"], "admin");
    app.get_auth("/api/admin/users", token).await.expect(200);
    // An unlisted verified address stays a user.
    register_verified(&app, &mail, "someone@example.com").await;
    let other = json!({"email": "someone@example.com", "password": PASSWORD});
    assert_eq!(
        app.post("/api/auth/login", &other).await.expect(200)["user"]["role"],
        "user"
    );
}
