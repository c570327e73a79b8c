//! `GET /api/usage`: parameters checked (never a panic), range capped, days in a time zone.

use studio_tests::{access_token, db_test, TestApp, TestDb};

#[db_test]
async fn usage_parameters_are_validated_and_name_the_culprit(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let token = access_token(&app, "ada@example.com").await;
    for (query, param) in [
        ("to=-262143-01-02", "to"),
        ("to=%2B262143-12-31", "to"),
        ("from=0000-01-01", "from"),
        ("from=2026-02-30", "from"),
        ("from=2024-01-01&to=2026-01-01", "from"),
        ("from=2026-12-02&to=2026-12-01", "from"),
        ("tz=Mars%2FOlympus", "tz"),
    ] {
        let error = app
            .get_auth(&format!("/api/usage?{query}"), &token)
            .await
            .expect_api_error(400, "validation_error");
        let text = error.to_string();
        assert!(text.contains(param), "{query}: {text}");
    }
    let report = app
        .get_auth(
            "/api/usage?from=2026-01-01&to=2026-12-31&tz=Europe%2FParis",
            &token,
        )
        .await
        .expect(200);
    assert_eq!(report["tz"], "Europe/Paris");
    assert!(report["from"]
        .as_str()
        .unwrap()
        .starts_with("2025-12-31T23:00:00"));
    assert_eq!(report["totals"]["cancelledRequests"], 0);
    assert_eq!(report["totals"]["estimatedTokens"], 0);
    app.get("/api/usage?tz=UTC")
        .await
        .expect_api_error(401, "missing_token");
}
