//! Starting a provider sign-in: content negotiation, forwarded headers, throttling.

use actix_web::http::Method;
use studio_tests::{db_test, oidc::ClientAuth, oidc::TestIdp, TestApp, TestDb, TestResponse};

async fn app_with_google(db: &TestDb, extra: &[(&str, &str)]) -> (TestApp, TestIdp) {
    let google = TestIdp::start(db, "studio-google", "google-secret", ClientAuth::Basic).await;
    let mut vars = vec![
        ("GOOGLE_OAUTH_CLIENT_ID", "studio-google"),
        ("GOOGLE_OAUTH_CLIENT_SECRET", "google-secret"),
        ("GOOGLE_OAUTH_ISSUER", google.issuer.as_str()),
    ];
    vars.extend_from_slice(extra);
    (TestApp::spawn_with(db, &vars).await, google)
}

async fn start(app: &TestApp, headers: &[(&str, &str)]) -> TestResponse {
    app.request(Method::GET, "/api/auth/oauth/google/start", headers, None)
        .await
}

fn redirect_uri(authorization_url: &str) -> String {
    url::Url::parse(authorization_url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

#[db_test]
async fn json_only_when_accept_weighs_it_above_html(db: TestDb) {
    let (app, _google) = app_with_google(&db, &[]).await;
    let browser = "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8";
    start(&app, &[("accept", browser)]).await.expect(302);
    start(&app, &[("accept", "text/html, application/json;q=0.5")])
        .await
        .expect(302);
    start(&app, &[]).await.expect(302);
    let json = start(&app, &[("accept", "text/html;q=0.5, application/json")])
        .await
        .expect(200);
    assert!(json["authorizationUrl"].is_string());
}

#[db_test]
async fn forwarded_host_counts_only_from_a_trusted_proxy(db: TestDb) {
    let forged = [
        ("accept", "application/json"),
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-proto", "https"),
    ];
    let (direct, _g1) = app_with_google(&db, &[]).await;
    let url = start(&direct, &forged).await.expect(200)["authorizationUrl"].clone();
    let callback = redirect_uri(url.as_str().unwrap());
    assert_eq!(
        callback,
        format!("{}/api/auth/oauth/google/callback", direct.base_url)
    );
    let (proxied, _g2) = app_with_google(&db, &[("STUDIO_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let url = start(&proxied, &forged).await.expect(200)["authorizationUrl"].clone();
    assert_eq!(
        redirect_uri(url.as_str().unwrap()),
        "https://evil.example/api/auth/oauth/google/callback"
    );
}

#[db_test]
async fn starting_sign_ins_is_throttled_per_client(db: TestDb) {
    let (app, _google) = app_with_google(
        &db,
        &[
            ("STUDIO_AUTH_RATE_LIMIT", "3"),
            ("STUDIO_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    )
    .await;
    for _ in 0..3 {
        start(&app, &[("x-forwarded-for", "6.6.6.6")])
            .await
            .expect(302);
    }
    start(&app, &[("x-forwarded-for", "6.6.6.6")])
        .await
        .expect_api_error(429, "rate_limited");
    start(&app, &[("x-forwarded-for", "1.2.3.4")])
        .await
        .expect(302);
}

#[db_test]
async fn the_client_address_comes_from_every_forwarded_for_line(db: TestDb) {
    let app = TestApp::spawn_with(&db, &[("STUDIO_TRUSTED_PROXIES", "127.0.0.1,10.0.0.2")]).await;
    let body = serde_json::json!({
        "email": "ada@example.com", "password": "correct horse battery"
    });
    // Two header lines are one list: the client is the rightmost hop that is not our proxy.
    let headers = [
        ("x-forwarded-for", "6.6.6.6, 1.2.3.4:5678"),
        ("x-forwarded-for", "10.0.0.2"),
    ];
    let signed_up = app
        .request(Method::POST, "/api/auth/register", &headers, Some(&body))
        .await
        .expect(201);
    let sessions = app
        .get_auth(
            "/api/auth/sessions",
            signed_up["accessToken"].as_str().unwrap(),
        )
        .await
        .expect(200);
    assert_eq!(sessions[0]["ipAddress"], "1.2.3.4");
}
