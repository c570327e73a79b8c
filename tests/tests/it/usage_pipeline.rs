//! The usage pipeline cannot lose a record: a database outage (with or without a restart in
//! the middle), a batch past the backend's bind-parameter limit, a row no database will take,
//! a torn journal line.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::json;
use studio_tests::{
    access_token, db_test, outage::Outage, upstream::gateway_with_upstream, TestApp, TestDb,
};
use studio_usage::{UsageRecord, UsageWriter, UsageWriterSettings};

/// `count` non-stream requests, 16 at a time; every one must be answered.
async fn requests(app: &TestApp, token: &str, count: usize) {
    let body = json!({"model": "chat", "messages": [{"role": "user", "content": "hi"}]});
    let indices: Vec<usize> = (0..count).collect();
    for chunk in indices.chunks(16) {
        let sent = chunk
            .iter()
            .map(|_| app.post_auth("/v1/chat/completions", token, &body));
        for response in join_all(sent).await {
            assert_eq!(response.status.as_u16(), 200, "{}", response.text());
        }
    }
}

/// Exactly `count` distinct records, waiting (bounded) for the writer to get there.
async fn expect_records(db: &TestDb, count: usize) {
    let records = studio_tests::usage_records(db, count).await;
    let ids: std::collections::HashSet<_> = records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(records.len(), count, "records stored");
    assert_eq!(ids.len(), count, "a record was stored twice");
}

fn outage_size(db: &TestDb) -> usize {
    // SQLite's outage makes each write attempt wait out the 5 s busy timeout: fewer requests.
    match db.backend {
        studio_tests::Backend::Postgres => 5_000,
        studio_tests::Backend::Sqlite => 500,
    }
}

#[db_test]
async fn records_made_during_a_database_outage_are_stored_exactly_once(db: TestDb) {
    let (app, _up) = gateway_with_upstream(&db, &[]).await;
    let token = access_token(&app, "ada@example.com").await;
    requests(&app, &token, 100).await;
    expect_records(&db, 100).await;

    let outage = Outage::start(&db).await;
    requests(&app, &token, outage_size(&db)).await;
    // SQLite only notices once a write has waited out its busy timeout.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let ready = app.get("/readyz").await;
        assert_eq!(ready.status.as_u16(), 200, "usage can still be journaled");
        if ready.json()["usageWriter"]["journaled"].as_u64() > Some(0) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "nothing was journaled"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    outage.end().await;
    requests(&app, &token, 100).await;
    expect_records(&db, 200 + outage_size(&db)).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while app.get("/readyz").await.json()["usageWriter"]["journaled"] != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the journal was not emptied"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

#[db_test]
async fn records_journaled_before_a_shutdown_are_stored_after_the_restart(db: TestDb) {
    let (app, _up) = gateway_with_upstream(&db, &[]).await;
    let token = access_token(&app, "ada@example.com").await;
    let outage = Outage::start(&db).await;
    requests(&app, &token, 300).await;
    // The graceful stop SIGTERM triggers: the queue goes to the journal.
    app.stop().await;
    outage.end().await;
    let (_again, _up2) = gateway_with_upstream(&db, &[]).await;
    expect_records(&db, 300).await;
}

fn record(id: usize, user_id: &str) -> UsageRecord {
    UsageRecord {
        id: format!("rec-{id:06}"),
        user_id: user_id.into(),
        api_key_id: None,
        kind: "chat".into(),
        model: "m".into(),
        upstream: None,
        stream: false,
        prompt_tokens: 1,
        completion_tokens: 2,
        total_tokens: 3,
        estimated: false,
        ttft_ms: None,
        latency_ms: 1,
        status: 200,
        cancelled: false,
        created_at: studio_core::time::now(),
        cost_usd: 0.0,
        session_id: None,
        message_id: None,
        images: 0,
    }
}

#[db_test]
async fn a_huge_batch_is_split_and_a_bad_row_is_dead_lettered_alone(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let user_id = studio_tests::register(&app, "ada@example.com").await["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let target = TestApp::config(&db, &[]).unwrap().database;
    let pool = studio_core::db::connect(&target, 2).await.unwrap();
    let dir = db.dir().join("writer");
    let writer = UsageWriter::start(
        pool,
        UsageWriterSettings {
            queue_size: 20_000,
            flush_interval: Duration::from_millis(50),
            journal_path: dir.join("journal.jsonl"),
            dead_letter_path: dir.join("dead.jsonl"),
        },
    );
    // 10,000 rows of 17 columns: one statement would pass PostgreSQL's 65,535 parameters.
    for i in 0..10_000 {
        writer.record(record(i, &user_id));
    }
    writer.record(record(10_000, "no-such-user"));
    writer.flush().await;
    expect_records(&db, 10_000).await;
    let state = writer.state();
    assert_eq!(
        (state.dead_lettered, state.journaled, state.lost),
        (1, 0, 0)
    );
    let dead = std::fs::read_to_string(dir.join("dead.jsonl")).unwrap();
    assert_eq!(dead.lines().count(), 1);
    assert!(dead.contains("no-such-user") && dead.to_lowercase().contains("foreign key"));
}

#[db_test]
async fn a_journal_left_by_a_crash_is_replayed_at_start_up(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let user_id = studio_tests::register(&app, "ada@example.com").await["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dir = db.dir().join("writer");
    std::fs::create_dir_all(&dir).unwrap();
    let mut journal = String::new();
    for i in 0..3 {
        journal += &serde_json::to_string(&record(i, &user_id)).unwrap();
        journal.push('\n');
    }
    // The first record again (a replay interrupted after it was stored), then a torn line.
    journal += &serde_json::to_string(&record(0, &user_id)).unwrap();
    journal += "\n{\"id\":\"rec-0000";
    std::fs::write(dir.join("journal.jsonl"), journal).unwrap();
    let target = TestApp::config(&db, &[]).unwrap().database;
    let pool = studio_core::db::connect(&target, 2).await.unwrap();
    let writer = UsageWriter::start(
        pool,
        UsageWriterSettings {
            queue_size: 100,
            flush_interval: Duration::from_millis(50),
            journal_path: dir.join("journal.jsonl"),
            dead_letter_path: dir.join("dead.jsonl"),
        },
    );
    writer.flush().await;
    expect_records(&db, 3).await;
    assert_eq!(writer.state().journaled, 0);
    assert_eq!(writer.state().dead_lettered, 1);
    assert_eq!(
        std::fs::read_to_string(dir.join("journal.jsonl")).unwrap(),
        ""
    );
}

#[db_test]
async fn readiness_fails_only_when_neither_database_nor_journal_can_take_usage(db: TestDb) {
    let unwritable = [(
        "STUDIO_USAGE_JOURNAL",
        "/proc/studio-cannot-write/journal.jsonl",
    )];
    let (app, _up) = gateway_with_upstream(&db, &unwritable).await;
    let ready = app.get("/readyz").await.expect(200);
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["usageWriter"]["journalWritable"], false);
    if db.backend == studio_tests::Backend::Postgres {
        let outage = Outage::start(&db).await;
        app.get("/readyz")
            .await
            .expect_api_error(503, "database_unavailable");
        outage.end().await;
    }
    // With a journal, a database outage leaves the instance ready (degraded) instead.
    let (journaled, _up2) = gateway_with_upstream(&db, &[]).await;
    if db.backend == studio_tests::Backend::Postgres {
        let outage = Outage::start(&db).await;
        let ready = journaled.get("/readyz").await.expect(200);
        assert_eq!(ready["status"], "degraded");
        assert_eq!(ready["usageWriter"]["journalWritable"], true);
        outage.end().await;
    }
}
