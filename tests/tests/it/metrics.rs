//! `/metrics`: off unless configured, behind a bearer token on the main listener, or on a
//! listener of its own that serves nothing else; the output is Prometheus' text format.

use actix_web::http::Method;
use studio_tests::{db_test, prometheus, TestApp, TestDb};

const TOKEN: &str = "metrics-token-0123456789";

#[db_test]
async fn metrics_are_off_unless_configured(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let answer = app.get("/metrics").await;
    answer.expect_api_error(404, "not_found");
    // A token does not open what is not there.
    let answer = app.get_auth("/metrics", TOKEN).await;
    answer.expect_api_error(404, "not_found");
    assert!(app.metrics_url.is_none());
}

#[db_test]
async fn metrics_on_the_main_listener_need_the_token(db: TestDb) {
    let app = TestApp::spawn_with(&db, &[("STUDIO_METRICS_TOKEN", TOKEN)]).await;
    let missing = app.get("/metrics").await;
    missing.expect_api_error(401, "unauthorized");
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    let wrong = app.get_auth("/metrics", "metrics-token-0123456780").await;
    wrong.expect_api_error(401, "unauthorized");
    let basic = app
        .request(
            Method::GET,
            "/metrics",
            &[("authorization", &format!("Basic {TOKEN}"))],
            None,
        )
        .await;
    basic.expect_api_error(401, "unauthorized");
    app.get("/healthz").await.expect(200);
    let url = app.url("/metrics");
    let scrape = prometheus::scrape_url(&app, &url, Some(TOKEN)).await;
    assert!(
        scrape.text.contains("# HELP studio_http_requests_total "),
        "{}",
        scrape.text
    );
    assert!(scrape
        .text
        .contains("# TYPE studio_http_request_duration_seconds histogram"));
    let healthz = [("method", "GET"), ("route", "/healthz"), ("status", "200")];
    assert_eq!(scrape.value("studio_http_requests_total", &healthz), 1.0);
    // The refused scrapes are requests too, by route.
    let refused = [("route", "/metrics"), ("status", "401")];
    assert_eq!(scrape.value("studio_http_requests_total", &refused), 3.0);
}

#[db_test]
async fn metrics_on_their_own_listener_are_not_served_on_the_main_one(db: TestDb) {
    let app = TestApp::spawn_with(&db, &[("STUDIO_METRICS_BIND", "127.0.0.1:0")]).await;
    app.get("/metrics").await.expect_api_error(404, "not_found");
    let metrics_url = app.metrics_url.clone().unwrap();
    assert_ne!(metrics_url, app.base_url);
    // The metrics listener serves nothing else.
    let other = app
        .client
        .get(format!("{metrics_url}/api/models"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 404);
    let scrape = prometheus::scrape(&app).await;
    // Sampled at scrape time: the usage writer's queue and journal, the database pool.
    for name in [
        "studio_usage_queue_depth",
        "studio_usage_journal_records",
        "studio_usage_dead_lettered_total",
    ] {
        assert_eq!(scrape.value(name, &[]), 0.0, "{name}");
        assert!(scrape.has(name), "{name}: {}", scrape.text);
    }
    assert!(!scrape
        .find("studio_db_pool_connections", &[("state", "idle")])
        .is_empty());
    assert!(!scrape
        .find("studio_db_pool_connections", &[("state", "in_use")])
        .is_empty());
}

#[db_test]
async fn routes_are_labelled_by_pattern_never_by_raw_path(db: TestDb) {
    let app = TestApp::spawn_with(&db, &[("STUDIO_METRICS_BIND", "127.0.0.1:0")]).await;
    let token = studio_tests::access_token(&app, "ada@example.com").await;
    for id in [
        "0190aaaa-0000-7000-8000-000000000001",
        "0190aaaa-0000-7000-8000-000000000002",
    ] {
        let path = format!("/api/keys/{id}");
        let gone = app.send_auth(Method::DELETE, &path, &token, None).await;
        assert_eq!(gone.status.as_u16(), 404);
    }
    app.get("/no/such/path/12345").await.expect(404);
    app.get("/no/such/path/67890").await.expect(404);
    let scrape = prometheus::scrape(&app).await;
    let keys = [
        ("method", "DELETE"),
        ("route", "/api/keys/{id}"),
        ("status", "404"),
    ];
    assert_eq!(
        scrape.value("studio_http_requests_total", &keys),
        2.0,
        "{}",
        scrape.text
    );
    let unmatched = [("route", "unmatched"), ("status", "404")];
    assert_eq!(scrape.value("studio_http_requests_total", &unmatched), 2.0);
    for raw in ["0190aaaa", "12345", "/no/such"] {
        assert!(
            !scrape.text.contains(raw),
            "{raw} is a label: {}",
            scrape.text
        );
    }
    let count = scrape.value(
        "studio_http_request_duration_seconds_count",
        &[("method", "DELETE"), ("route", "/api/keys/{id}")],
    );
    assert_eq!(count, 2.0);
}
