//! Email verification and password reset, through a real SMTP server the test starts.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use studio_core::{db_run, schema::email_tokens};
use studio_tests::{db_test, register, smtp::MailServer, TestApp, TestDb};

const FRONTEND: &str = "http://frontend.test";

async fn mailing_app(db: &TestDb) -> (TestApp, MailServer) {
    let mail = MailServer::start().await;
    let app = TestApp::spawn_with(
        db,
        &[("EMAIL_SMTP_URL", &mail.url), ("FRONTEND_URL", FRONTEND)],
    )
    .await;
    (app, mail)
}

#[db_test]
async fn a_new_account_verifies_its_address_with_the_mailed_link_once(db: TestDb) {
    let (app, mail) = mailing_app(&db).await;
    let body = register(&app, "ada@example.com").await;
    assert_eq!(body["user"]["emailVerified"], false);
    let token = body["accessToken"].as_str().unwrap();
    let message = mail.wait_for("ada@example.com", "verify-email", 0).await;
    assert!(
        message
            .text()
            .contains(&format!("{FRONTEND}/verify-email?token=")),
        "{}",
        message.text()
    );
    let link_token = message.token().unwrap();
    let verified = app
        .post("/api/auth/verify-email", &json!({ "token": link_token }))
        .await
        .expect(200);
    assert_eq!(verified["emailVerified"], true);
    assert_eq!(
        app.get_auth("/api/auth/me", token).await.expect(200)["emailVerified"],
        true
    );
    app.post("/api/auth/verify-email", &json!({ "token": link_token }))
        .await
        .expect_api_error(400, "invalid_email_token");
    app.post_auth("/api/auth/verify-email/resend", token, &json!({}))
        .await
        .expect_api_error(409, "already_verified");
    app.post("/api/auth/verify-email/resend", &json!({}))
        .await
        .expect_api_error(401, "missing_token");
}

#[db_test]
async fn resend_mails_a_new_link_and_expired_links_are_refused(db: TestDb) {
    let (app, mail) = mailing_app(&db).await;
    let token = studio_tests::access_token(&app, "ada@example.com").await;
    mail.wait_for("ada@example.com", "verify-email", 0).await;
    app.post_auth("/api/auth/verify-email/resend", &token, &json!({}))
        .await
        .expect(202);
    let second = mail
        .wait_for("ada@example.com", "verify-email", 1)
        .await
        .token()
        .unwrap();
    let target = TestApp::config(&db, &[]).unwrap().database;
    let pool = studio_core::db::connect(&target, 1).await.unwrap();
    let past = studio_core::time::now() - chrono::Duration::minutes(1);
    db_run!(&pool, |conn| diesel::update(email_tokens::table)
        .set(email_tokens::expires_at.eq(past))
        .execute(conn)
        .await)
    .unwrap();
    app.post("/api/auth/verify-email", &json!({ "token": second }))
        .await
        .expect_api_error(400, "invalid_email_token");
    app.post("/api/auth/verify-email", &json!({ "token": "made-up" }))
        .await
        .expect_api_error(400, "invalid_email_token");
}

#[db_test]
async fn forgot_answers_202_either_way_and_mails_only_real_accounts(db: TestDb) {
    let (app, mail) = mailing_app(&db).await;
    register(&app, "ada@example.com").await;
    for email in ["nobody@example.com", "ada@example.com", "not an email"] {
        let response = app
            .post("/api/auth/password/forgot", &json!({ "email": email }))
            .await;
        assert_eq!(response.status, 202, "{email}");
        assert!(response.body.is_empty());
    }
    let reset = mail.wait_for("ada@example.com", "reset-password", 0).await;
    assert!(reset
        .text()
        .contains(&format!("{FRONTEND}/reset-password?token=")));
    assert!(mail.to("nobody@example.com").is_empty());
}

#[db_test]
async fn a_reset_sets_the_password_once_and_ends_every_session(db: TestDb) {
    let (app, mail) = mailing_app(&db).await;
    let signed_up = register(&app, "ada@example.com").await;
    let other = app
        .post(
            "/api/auth/login",
            &json!({"email": "ada@example.com", "password": "correct horse battery"}),
        )
        .await
        .expect(200);
    app.post(
        "/api/auth/password/forgot",
        &json!({"email": "ada@example.com"}),
    )
    .await
    .expect(202);
    let token = mail
        .wait_for("ada@example.com", "reset-password", 0)
        .await
        .token()
        .unwrap();
    app.post(
        "/api/auth/password/reset",
        &json!({"token": token, "password": "short"}),
    )
    .await
    .expect_api_error(400, "validation_error");
    let reset = json!({"token": token, "password": "a brand new password"});
    app.post("/api/auth/password/reset", &reset)
        .await
        .expect(204);
    app.post("/api/auth/password/reset", &reset)
        .await
        .expect_api_error(400, "invalid_email_token");
    for body in [&signed_up, &other] {
        app.get_auth("/api/auth/me", body["accessToken"].as_str().unwrap())
            .await
            .expect_api_error(401, "invalid_token");
        app.post(
            "/api/auth/refresh",
            &json!({"refreshToken": body["refreshToken"]}),
        )
        .await
        .expect_api_error(401, "invalid_refresh_token");
    }
    app.post(
        "/api/auth/login",
        &json!({"email": "ada@example.com", "password": "correct horse battery"}),
    )
    .await
    .expect_api_error(401, "invalid_credentials");
    let fresh = app
        .post(
            "/api/auth/login",
            &json!({"email": "ada@example.com", "password": "a brand new password"}),
        )
        .await
        .expect(200);
    // Following the mailed link proved the address too.
    assert_eq!(fresh["user"]["emailVerified"], true);
}
