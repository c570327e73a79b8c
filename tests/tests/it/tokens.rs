//! Access tokens that must be refused: tampered, expired, not yet valid, other algorithms,
//! `alg: none`, wrong secret, wrong audience.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use studio_tests::{db_test, register, TestApp, TestDb, TEST_SECRET};

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(claims: &Value, algorithm: Algorithm, secret: &str) -> String {
    encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[db_test]
async fn forged_and_stale_tokens_are_refused(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let token = register(&app, "ada@example.com").await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let claims = claims_of(&token);
    for field in ["sub", "sid", "jti", "iss", "aud", "iat", "nbf", "exp"] {
        assert!(!claims[field].is_null(), "claim {field} missing");
    }
    // Re-signing the genuine claims with the right key is accepted (the forgeries below differ in one thing).
    app.get_auth(
        "/api/auth/me",
        &sign(&claims, Algorithm::HS256, TEST_SECRET),
    )
    .await
    .expect(200);

    let now = claims["iat"].as_i64().unwrap();
    let mut forgeries = vec![
        (
            "wrong secret",
            sign(
                &claims,
                Algorithm::HS256,
                "another secret another secret 12",
            ),
        ),
        (
            "other algorithm",
            sign(&claims, Algorithm::HS512, TEST_SECRET),
        ),
    ];
    let mut expired = claims.clone();
    expired["exp"] = json!(now - 120);
    forgeries.push(("expired", sign(&expired, Algorithm::HS256, TEST_SECRET)));
    let mut early = claims.clone();
    early["nbf"] = json!(now + 600);
    forgeries.push(("not yet valid", sign(&early, Algorithm::HS256, TEST_SECRET)));
    let mut audience = claims.clone();
    audience["aud"] = json!("someone-else");
    forgeries.push((
        "wrong audience",
        sign(&audience, Algorithm::HS256, TEST_SECRET),
    ));
    let mut issuer = claims.clone();
    issuer["iss"] = json!("evil");
    forgeries.push(("wrong issuer", sign(&issuer, Algorithm::HS256, TEST_SECRET)));
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    forgeries.push(("alg none", format!("{header}.{payload}.")));
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut tampered = claims.clone();
    tampered["sub"] = json!("someone-else");
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&tampered).unwrap());
    forgeries.push(("tampered payload", parts.join(".")));
    forgeries.push(("garbage", "not.a.jwt".to_owned()));

    for (what, forged) in forgeries {
        let response = app.get_auth("/api/auth/me", &forged).await;
        assert_eq!(response.status.as_u16(), 401, "{what} accepted");
        assert_eq!(
            response.header("www-authenticate"),
            Some("Bearer"),
            "{what}"
        );
        assert_eq!(response.json()["error"]["code"], "invalid_token", "{what}");
    }
}
