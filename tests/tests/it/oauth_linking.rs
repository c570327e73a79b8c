//! Which accounts a provider identity joins, and which ways to sign in an account keeps.

use actix_web::http::Method;
use serde_json::json;
use studio_tests::{db_test, oidc::Identity, sign_in::*, TestDb};

#[db_test]
async fn only_verified_emails_link_to_existing_accounts(db: TestDb) {
    let p = setup(&db).await;
    let owner = studio_tests::register_verified(&p.app, &p.mail, "owner@example.com").await;
    let owner_token = owner["accessToken"].as_str().unwrap();
    let mut unverified = Identity::new("attacker-sub", "owner@example.com");
    unverified.email_verified = false;
    let refused = sign_in(&p.app, &p.corp, "corp", unverified).await;
    assert_eq!(refused["error"], "account_exists");
    assert_eq!(
        p.app
            .get_auth("/api/auth/identities", owner_token)
            .await
            .expect(200),
        json!([])
    );

    let body = p.google("owner-google", "owner@example.com").await;
    assert_eq!(body["user"]["id"], owner["user"]["id"]);
    let identities = p
        .app
        .get_auth("/api/auth/identities", owner_token)
        .await
        .expect(200);
    assert_eq!(identities.as_array().unwrap().len(), 1);
}

#[db_test]
async fn the_last_way_to_sign_in_cannot_be_unlinked(db: TestDb) {
    let p = setup(&db).await;
    let landed = sign_in(
        &p.app,
        &p.google,
        "google",
        Identity::new("only-google", "solo@example.com"),
    )
    .await;
    let body = exchange(&p.app, &landed["code"]).await.expect(200);
    let token = body["accessToken"].as_str().unwrap();
    let identity = p
        .app
        .get_auth("/api/auth/identities", token)
        .await
        .expect(200)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/auth/identities/{identity}");
    p.app
        .send_auth(Method::DELETE, &path, token, None)
        .await
        .expect_api_error(409, "last_sign_in_method");
    let stranger = studio_tests::access_token(&p.app, "stranger@example.com").await;
    p.app
        .send_auth(Method::DELETE, &path, &stranger, None)
        .await
        .expect_api_error(404, "not_found");
    // An OAuth-only account sets its first password without a current one, then may unlink.
    p.app
        .post_auth(
            "/api/auth/password",
            token,
            &json!({"newPassword": "a brand new password"}),
        )
        .await
        .expect(204);
    p.app
        .send_auth(Method::DELETE, &path, token, None)
        .await
        .expect(204);
    p.app
        .post(
            "/api/auth/login",
            &json!({"email": "solo@example.com", "password": "a brand new password"}),
        )
        .await
        .expect(200);
    p.app
        .get("/api/auth/identities")
        .await
        .expect_api_error(401, "missing_token");
}

#[test]
fn the_apple_client_secret_is_an_es256_jwt_apple_can_verify() {
    let signing = studio_auth::oauth::AppleSigning {
        team_id: "TEAM123456".into(),
        key_id: "KEY1234567".into(),
        private_key_pem: std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/apple-key.p8"
        ))
        .unwrap(),
    };
    let now = chrono::Utc::now().timestamp();
    let secret = studio_auth::oauth::apple_client_secret(
        &signing,
        "com.example.studio",
        "https://appleid.apple.com",
        now,
    )
    .unwrap();
    let header = jsonwebtoken::decode_header(&secret).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    assert_eq!(header.kid.as_deref(), Some("KEY1234567"));
    let public = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/apple-key.pub.pem"
    ))
    .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&["https://appleid.apple.com"]);
    validation.set_issuer(&["TEAM123456"]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(
        &secret,
        &jsonwebtoken::DecodingKey::from_ec_pem(public.as_bytes()).unwrap(),
        &validation,
    )
    .unwrap()
    .claims;
    assert_eq!(claims["sub"], "com.example.studio");
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert!(
        lifetime > 0 && lifetime <= 183 * 24 * 3600,
        "at most six months"
    );
}
