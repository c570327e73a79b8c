//! Health probes, error bodies, request ids, security headers, CORS and host checks.

use actix_web::http::Method;
use serde_json::json;
use studio_tests::{db_test, TestApp, TestDb};

#[db_test]
async fn health_and_readiness_answer(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let health = app.get("/healthz").await;
    assert_eq!(health.expect(200)["status"], "ok");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.expect(200)["status"], "ready");
}

#[db_test]
async fn request_id_is_echoed_when_sane_and_generated_otherwise(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let echoed = app
        .request(
            Method::GET,
            "/healthz",
            &[("x-request-id", "abc-123")],
            None,
        )
        .await;
    assert_eq!(echoed.header("x-request-id"), Some("abc-123"));
    let replaced = app
        .request(
            Method::GET,
            "/healthz",
            &[("x-request-id", "bad id with spaces")],
            None,
        )
        .await;
    let generated = replaced.header("x-request-id").unwrap();
    assert_ne!(generated, "bad id with spaces");
    assert!(generated.len() >= 16);
}

#[db_test]
async fn unknown_routes_are_json_404_in_each_wire_format(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.get("/api/does-not-exist")
        .await
        .expect_api_error(404, "not_found");
    let body = app.get("/v1/does-not-exist").await.expect_openai_error(404);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    app.get("/nothing-here")
        .await
        .expect_api_error(404, "not_found");
}

#[db_test]
async fn wrong_method_is_json_405(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.post("/healthz", &json!({}))
        .await
        .expect_api_error(405, "method_not_allowed");
}

#[db_test]
async fn security_headers_are_on_every_response(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    for response in [app.get("/healthz").await, app.get("/api/missing").await] {
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(response.header("x-frame-options"), Some("DENY"));
        assert!(response.header("referrer-policy").is_some());
        assert!(response.header("strict-transport-security").is_none());
    }
}

#[db_test]
async fn cors_preflight_from_allowed_origin_succeeds_and_others_fail(db: TestDb) {
    let app = TestApp::spawn_with(&db, &[("CORS_ALLOWED_ORIGINS", "http://localhost:5173")]).await;
    let preflight = |origin: &'static str| {
        let app = &app;
        async move {
            app.request(
                Method::OPTIONS,
                "/api/auth/login",
                &[
                    ("origin", origin),
                    ("access-control-request-method", "POST"),
                    (
                        "access-control-request-headers",
                        "authorization, content-type",
                    ),
                ],
                None,
            )
            .await
        }
    };
    let allowed = preflight("http://localhost:5173").await;
    assert!(allowed.status.is_success(), "status {}", allowed.status);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    let headers = allowed
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(headers.contains("authorization") && headers.contains("content-type"));

    let refused = preflight("https://evil.example").await;
    assert!(
        refused.status.is_client_error(),
        "status {}",
        refused.status
    );
    assert!(refused.header("access-control-allow-origin").is_none());
    assert!(refused.json()["error"]["message"].is_string());
}

#[db_test]
async fn production_checks_the_host_header_and_sends_hsts(db: TestDb) {
    let secret = "0123456789abcdef0123456789abcdef";
    let app = TestApp::spawn_with(
        &db,
        &[
            ("STUDIO_ENV", "production"),
            ("JWT_SECRET_KEY", secret),
            ("SECRET_KEY", secret),
            ("ALLOWED_HOSTS", "studio.example.com,127.0.0.1"),
        ],
    )
    .await;
    let ok = app.get("/healthz").await;
    ok.expect(200);
    assert!(ok.header("strict-transport-security").is_some());
    let evil = app
        .request(
            Method::GET,
            "/healthz",
            &[("host", "evil.example.com")],
            None,
        )
        .await;
    evil.expect_api_error(400, "bad_request");
}

#[test]
fn docker_compose_describes_postgres_and_the_gateway_with_documented_variables() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let compose: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(format!("{root}/docker-compose.yml")).unwrap(),
    )
    .unwrap();
    let services = &compose["services"];
    assert!(services["postgres"]["image"]
        .as_str()
        .unwrap()
        .starts_with("postgres"));
    let gateway = &services["gateway"];
    let dockerfile = gateway["build"]["dockerfile"]
        .as_str()
        .unwrap_or("Dockerfile");
    assert!(std::path::Path::new(&format!("{root}/{dockerfile}")).exists());
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let env = gateway["environment"].as_mapping().unwrap();
    for key in env.keys() {
        let key = key.as_str().unwrap();
        assert!(
            readme.contains(&format!("`{key}`")),
            "{key} is not documented in the README"
        );
    }
    let url = env.get("DATABASE_URL").and_then(|v| v.as_str()).unwrap();
    assert!(url.starts_with("postgres://"));
}
