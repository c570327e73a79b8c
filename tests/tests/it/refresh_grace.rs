//! Two tabs refreshing at once: the rotation grace window, and reuse after it.

use serde_json::json;
use studio_tests::{db_test, register, TestApp, TestDb};

#[db_test]
async fn two_concurrent_refreshes_both_succeed_with_the_same_pair(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let mut refresh = register(&app, "ada@example.com").await["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    for attempt in 0..10 {
        let body = json!({ "refreshToken": refresh });
        let (a, b) = futures_util::join!(
            app.post("/api/auth/refresh", &body),
            app.post("/api/auth/refresh", &body)
        );
        let (a, b) = (a.expect(200), b.expect(200));
        assert_eq!(a["refreshToken"], b["refreshToken"], "try {attempt}");
        assert_eq!(a["accessToken"], b["accessToken"], "try {attempt}");
        app.get_auth("/api/auth/me", a["accessToken"].as_str().unwrap())
            .await
            .expect(200);
        refresh = a["refreshToken"].as_str().unwrap().to_owned();
    }
    // The family is alive: the latest token still rotates.
    app.post("/api/auth/refresh", &json!({ "refreshToken": refresh }))
        .await
        .expect(200);
}

#[db_test]
async fn a_replay_after_the_grace_window_revokes_the_whole_sign_in(db: TestDb) {
    let app = TestApp::spawn_with(&db, &[("STUDIO_REFRESH_GRACE_SECS", "1")]).await;
    let old = register(&app, "ada@example.com").await["refreshToken"].clone();
    let next = app
        .post("/api/auth/refresh", &json!({ "refreshToken": old }))
        .await
        .expect(200);
    let again = app
        .post("/api/auth/refresh", &json!({ "refreshToken": old }))
        .await
        .expect(200);
    assert_eq!(again["refreshToken"], next["refreshToken"]);
    // Waiting out the window is the point of this test (it waits for the clock, not for work).
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1500)).await;
    app.post("/api/auth/refresh", &json!({ "refreshToken": old }))
        .await
        .expect_api_error(401, "invalid_refresh_token");
    app.post(
        "/api/auth/refresh",
        &json!({ "refreshToken": next["refreshToken"] }),
    )
    .await
    .expect_api_error(401, "invalid_refresh_token");
    app.get_auth("/api/auth/me", next["accessToken"].as_str().unwrap())
        .await
        .expect_api_error(401, "invalid_token");
}

#[db_test]
async fn the_raw_successor_is_not_stored(db: TestDb) {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use studio_core::{db_run, schema::refresh_tokens};
    let app = TestApp::spawn(&db).await;
    let old = register(&app, "ada@example.com").await["refreshToken"].clone();
    let next = app
        .post("/api/auth/refresh", &json!({ "refreshToken": old }))
        .await
        .expect(200);
    let target = TestApp::config(&db, &[]).unwrap().database;
    let pool = studio_core::db::connect(&target, 1).await.unwrap();
    let sealed: Vec<Option<String>> = db_run!(&pool, |conn| refresh_tokens::table
        .select(refresh_tokens::successor_sealed)
        .load(conn)
        .await)
    .unwrap();
    let stored = format!("{sealed:?}");
    assert!(sealed.iter().any(Option::is_some));
    assert!(!stored.contains(next["refreshToken"].as_str().unwrap()));
    assert!(!stored.contains(next["accessToken"].as_str().unwrap()));
}
