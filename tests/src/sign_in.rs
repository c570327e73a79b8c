//! Driving sign-ins as a browser would, for the OAuth tests: three local providers (Google
//! with client_secret_basic, a generic OIDC with client_secret_post, Apple with its JWT).

use std::collections::HashMap;

use actix_web::http::Method;
use serde_json::json;

use crate::{
    oidc::{ClientAuth, Identity, TestIdp},
    smtp::MailServer,
    TestApp, TestResponse,
};

pub const FRONTEND: &str = "http://frontend.test";

/// One change that makes an ID token invalid.
pub type Breakage = fn(&mut Identity);

pub struct Providers {
    pub app: TestApp,
    /// Where the app's mail goes.
    pub mail: MailServer,
    pub google: TestIdp,
    pub corp: TestIdp,
    pub apple: TestIdp,
}

pub async fn setup(db: &crate::TestDb) -> Providers {
    let google = TestIdp::start(db, "studio-google", "google-secret", ClientAuth::Basic).await;
    let corp = TestIdp::start(db, "studio-corp", "corp-secret", ClientAuth::Post).await;
    let apple = TestIdp::start(db, "com.example.studio", "", ClientAuth::AppleJwt).await;
    let apple_key = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/apple-key.p8");
    let mail = MailServer::start().await;
    let app = TestApp::spawn_with(
        db,
        &[
            ("FRONTEND_URL", FRONTEND),
            ("EMAIL_SMTP_URL", &mail.url),
            ("GOOGLE_OAUTH_CLIENT_ID", "studio-google"),
            ("GOOGLE_OAUTH_CLIENT_SECRET", "google-secret"),
            ("GOOGLE_OAUTH_ISSUER", &google.issuer),
            ("OIDC_PROVIDERS", "corp"),
            ("OIDC_CORP_ISSUER", &corp.issuer),
            ("OIDC_CORP_CLIENT_ID", "studio-corp"),
            ("OIDC_CORP_CLIENT_SECRET", "corp-secret"),
            ("OIDC_CORP_NAME", "Corp SSO"),
            ("APPLE_OAUTH_CLIENT_ID", "com.example.studio"),
            ("APPLE_TEAM_ID", "TEAM123456"),
            ("APPLE_KEY_ID", "KEY1234567"),
            ("APPLE_PRIVATE_KEY", apple_key),
            ("APPLE_OAUTH_ISSUER", &apple.issuer),
        ],
    )
    .await;
    Providers {
        app,
        mail,
        google,
        corp,
        apple,
    }
}

/// Starts a sign-in as a browser would: the authorization URL and the browser-binding cookie.
pub async fn start(app: &TestApp, provider: &str, redirect_to: &str) -> (String, String) {
    let path = format!(
        "/api/auth/oauth/{provider}/start?redirectTo={}",
        urlencode(redirect_to)
    );
    let response = app
        .request(Method::GET, &path, &[("accept", "application/json")], None)
        .await;
    let url = response.expect(200)["authorizationUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let cookie = response.header("set-cookie").unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("Secure")
            && cookie.contains("SameSite=None"),
        "{cookie}"
    );
    (url, cookie.split(';').next().unwrap().to_owned())
}

pub fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The query of the frontend URL the callback redirected to.
pub fn landing(response: &TestResponse) -> HashMap<String, String> {
    assert_eq!(response.status, 302, "{}", response.text());
    let location = response.header("location").unwrap();
    assert!(
        location.starts_with(&format!("{FRONTEND}/auth/callback?")),
        "{location}"
    );
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

pub async fn callback(
    app: &TestApp,
    provider: &str,
    code: &str,
    state: &str,
    cookie: Option<&str>,
) -> TestResponse {
    let path = format!(
        "/api/auth/oauth/{provider}/callback?code={}&state={}",
        urlencode(code),
        urlencode(state)
    );
    let headers: Vec<(&str, &str)> = cookie.map(|c| vec![("cookie", c)]).unwrap_or_default();
    app.request(Method::GET, &path, &headers, None).await
}

/// A whole sign-in; returns where the browser landed.
pub async fn sign_in(
    app: &TestApp,
    idp: &TestIdp,
    provider: &str,
    identity: Identity,
) -> HashMap<String, String> {
    let (url, cookie) = start(app, provider, "/chat").await;
    let (code, state) = idp.approve(&url, identity);
    landing(&callback(app, provider, &code, &state, Some(&cookie)).await)
}

pub async fn exchange(app: &TestApp, code: &str) -> TestResponse {
    app.post("/api/auth/oauth/exchange", &json!({ "code": code }))
        .await
}

impl Providers {
    /// Signs in with Google as `subject` <`email`> (verified) and returns the login body.
    pub async fn google(&self, subject: &str, email: &str) -> serde_json::Value {
        let identity = Identity::new(subject, email);
        let landed = sign_in(&self.app, &self.google, "google", identity).await;
        exchange(&self.app, &landed["code"]).await.expect(200)
    }
}
