//! Sign-in with Google, Apple and a generic OpenID provider, end to end against local
//! providers speaking real HTTP with real keys.

use std::collections::HashMap;

use actix_web::http::Method;
use serde_json::json;
use studio_tests::{
    db_test,
    oidc::{Identity, Signing},
    sign_in::*,
    TestApp, TestDb,
};

#[db_test]
async fn providers_lists_only_the_configured_ones(db: TestDb) {
    let p = setup(&db).await;
    let list = p.app.get("/api/auth/providers").await.expect(200);
    let ids: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ids,
        vec![("google", "google"), ("apple", "apple"), ("corp", "oidc")]
    );
    let plain = TestApp::spawn(&db).await;
    assert_eq!(
        plain.get("/api/auth/providers").await.expect(200),
        json!([])
    );
    plain
        .get("/api/auth/oauth/google/start")
        .await
        .expect_api_error(404, "not_found");
}

#[db_test]
async fn google_sign_in_creates_the_account_and_the_code_is_single_use(db: TestDb) {
    let p = setup(&db).await;
    let (url, cookie) = start(&p.app, "google", "/chat").await;
    let parsed = url::Url::parse(&url).unwrap();
    let query: HashMap<_, _> = parsed.query_pairs().into_owned().collect();
    assert!(
        query.contains_key("nonce")
            && query.contains_key("state")
            && query.contains_key("code_challenge")
    );
    assert!(query["redirect_uri"].ends_with("/api/auth/oauth/google/callback"));
    // Without Accept: application/json the start is a redirect to the provider.
    let redirect = p.app.get("/api/auth/oauth/google/start").await;
    assert_eq!(redirect.status, 302);
    assert!(redirect
        .header("location")
        .unwrap()
        .starts_with(&p.google.issuer));

    let (code, state) = p
        .google
        .approve(&url, Identity::new("google-sub-1", "Grace@Example.com"));
    let landed = landing(&callback(&p.app, "google", &code, &state, Some(&cookie)).await);
    assert_eq!(landed["redirectTo"], "/chat");
    assert!(!landed.contains_key("accessToken"));
    let body = exchange(&p.app, &landed["code"]).await.expect(200);
    assert_eq!(body["user"]["email"], "grace@example.com");
    assert_eq!(body["user"]["firstName"], "Grace");
    assert_eq!(body["tokenType"], "Bearer");
    let token = body["accessToken"].as_str().unwrap();
    let identities = p
        .app
        .get_auth("/api/auth/identities", token)
        .await
        .expect(200);
    assert_eq!(identities[0]["provider"], "google");

    exchange(&p.app, &landed["code"])
        .await
        .expect_api_error(401, "invalid_code");
    // The state was used once: replaying the callback is refused.
    let replay = landing(&callback(&p.app, "google", &code, &state, Some(&cookie)).await);
    assert_eq!(replay["error"], "invalid_state");
    // Signing in again finds the same account.
    let again = sign_in(
        &p.app,
        &p.google,
        "google",
        Identity::new("google-sub-1", "grace@example.com"),
    )
    .await;
    let second = exchange(&p.app, &again["code"]).await.expect(200);
    assert_eq!(second["user"]["id"], body["user"]["id"]);
}

#[db_test]
async fn a_generic_provider_with_es256_and_client_secret_post_works(db: TestDb) {
    let p = setup(&db).await;
    let mut identity = Identity::new("corp-42", "ada@corp.example");
    identity.signing = Signing::Es256;
    let landed = sign_in(&p.app, &p.corp, "corp", identity).await;
    let body = exchange(&p.app, &landed["code"]).await.expect(200);
    assert_eq!(body["user"]["email"], "ada@corp.example");
}

#[db_test]
async fn apple_form_post_keeps_the_first_authorization_name(db: TestDb) {
    let p = setup(&db).await;
    let (url, cookie) = start(&p.app, "apple", "/").await;
    let query: HashMap<_, _> = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(query["response_mode"], "form_post");
    assert!(query["scope"].contains("name") && query["scope"].contains("email"));
    let mut identity = Identity::new("apple-001", "x7k2@privaterelay.appleid.com");
    identity.given_name = None;
    identity.family_name = None;
    let (code, state) = p.apple.approve(&url, identity);
    let form = format!(
        "code={}&state={}&user={}",
        urlencode(&code),
        urlencode(&state),
        urlencode(
            r#"{"name":{"firstName":"Tim","lastName":"Apple"},"email":"x7k2@privaterelay.appleid.com"}"#
        )
    );
    let response = p
        .app
        .client
        .post(p.app.url("/api/auth/oauth/apple/callback"))
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .insert_header(("cookie", cookie.as_str()))
        .send_body(form)
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = response
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let landed: HashMap<_, _> = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let body = exchange(&p.app, &landed["code"]).await.expect(200);
    assert_eq!(body["user"]["email"], "x7k2@privaterelay.appleid.com");
    assert_eq!(
        (
            body["user"]["firstName"].as_str(),
            body["user"]["lastName"].as_str()
        ),
        (Some("Tim"), Some("Apple"))
    );
}

#[db_test]
async fn forged_or_stale_id_tokens_are_refused_and_nothing_is_stored(db: TestDb) {
    let p = setup(&db).await;
    let cases: [(&str, Breakage); 5] = [
        ("wrong nonce", |i: &mut Identity| {
            i.nonce = Some("not-the-nonce".into())
        }),
        ("wrong audience", |i: &mut Identity| {
            i.audience = Some("someone-else".into())
        }),
        ("expired", |i: &mut Identity| i.expires_in = -600),
        ("bad signature", |i: &mut Identity| {
            i.signing = Signing::ForeignKey
        }),
        ("unknown kid", |i: &mut Identity| {
            i.signing = Signing::UnknownKid
        }),
    ];
    for (what, break_it) in cases {
        let mut identity = Identity::new("victim-sub", "victim@example.com");
        break_it(&mut identity);
        let landed = sign_in(&p.app, &p.google, "google", identity).await;
        assert_eq!(
            landed.get("error").map(String::as_str),
            Some("invalid_id_token"),
            "{what}: {landed:?}"
        );
        assert!(!landed.contains_key("code"), "{what}");
    }
    // No account was created by any of them.
    p.app
        .post(
            "/api/auth/register",
            &json!({"email": "victim@example.com", "password": "correct horse battery"}),
        )
        .await
        .expect(201);
}

#[db_test]
async fn states_redirects_and_browsers_are_checked(db: TestDb) {
    let p = setup(&db).await;
    p.app
        .request(
            Method::GET,
            "/api/auth/oauth/google/start?redirectTo=https%3A%2F%2Fevil.com",
            &[("accept", "application/json")],
            None,
        )
        .await
        .expect_api_error(400, "validation_error");
    p.app
        .get("/api/auth/oauth/google/start?redirectTo=%2F%2Fevil.com")
        .await
        .expect_api_error(400, "validation_error");
    let unknown = landing(&callback(&p.app, "google", "code", "made-up-state", None).await);
    assert_eq!(unknown["error"], "invalid_state");
    let (url, _cookie) = start(&p.app, "google", "/").await;
    let (code, state) = p.google.approve(&url, Identity::new("s", "s@example.com"));
    let other_browser = landing(
        &callback(
            &p.app,
            "google",
            &code,
            &state,
            Some("studio_oauth=someone-else"),
        )
        .await,
    );
    assert_eq!(other_browser["error"], "browser_mismatch");
    p.app
        .get("/api/auth/oauth/nope/callback?code=x&state=y")
        .await
        .expect_api_error(404, "not_found");
    p.app
        .get("/api/auth/oauth/nope/start")
        .await
        .expect_api_error(404, "not_found");
}
