//! Several gateways sharing one database: a reply resumes on another instance (from the
//! checkpoints, then by polling them), a cancel on another instance stops the upstream, and an
//! instance that stops marks its unfinished replies as `error`.

use std::time::{Duration, Instant};

use serde_json::json;
use studio_tests::{
    db_test,
    sessions::{finished, message_of, resume, setup, slow_session, start_and_leave},
    TestApp, TestDb,
};

async fn second_instance(db: &TestDb) -> TestApp {
    let models = db.dir().join("models.toml");
    TestApp::spawn_with(
        db,
        &[
            ("STUDIO_MODELS_FILE", models.to_str().unwrap()),
            ("STUDIO_CHAT_CHECKPOINT_MS", "100"),
        ],
    )
    .await
}

#[db_test]
async fn a_second_instance_sharing_the_database_resumes_the_reply(db: TestDb) {
    let (first, _up, token) = setup(&db).await;
    let second = second_instance(&db).await;
    let session = slow_session(&first, &token).await;
    let (message, seen) = start_and_leave(&first, &token, &session).await;
    let resumed = resume(&second, &token, &session, &message, seen.last_id.unwrap()).await;
    assert!(resumed.ended_with_done(), "{:?}", resumed.events);
    let stored = finished(&second, &token, &session, &message).await;
    assert_eq!(stored["status"], "complete");
    assert_eq!(
        format!("{}{}", seen.text, resumed.text),
        stored["content"].as_str().unwrap()
    );
}

#[db_test]
async fn a_cancel_on_another_instance_stops_the_upstream(db: TestDb) {
    let (first, up, token) = setup(&db).await;
    let second = second_instance(&db).await;
    let session = slow_session(&first, &token).await;
    let (message, seen) = start_and_leave(&first, &token, &session).await;
    let path = format!("/api/chat/sessions/{session}/messages/{message}/cancel");
    let cancelled_at = Instant::now();
    let answer = second.post_auth(&path, &token, &json!({})).await;
    // The cancel answers with the reply as its owner stored it: everything the client saw.
    let answered = answer.expect(200);
    assert_eq!(answered["status"], "cancelled");
    let text = answered["content"].as_str().unwrap();
    assert!(text.starts_with(&seen.text), "{text:?} vs {:?}", seen.text);
    while up.stats.snapshot().abandoned < 1 {
        assert!(
            cancelled_at.elapsed() < Duration::from_secs(1),
            "the upstream kept working"
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    let stored = finished(&first, &token, &session, &message).await;
    assert_eq!(stored["status"], "cancelled");
    assert!(stored["content"].as_str().unwrap().starts_with(&seen.text));
}

#[db_test]
async fn an_instance_that_stops_marks_its_unfinished_replies_as_errors(db: TestDb) {
    let (first, _up, token) = setup(&db).await;
    let second = second_instance(&db).await;
    // An 8 s reply: a slow stop under load must not let it finish first.
    let session = studio_tests::sessions::create_session(&first, &token, json!({"model": "slow"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (message, seen) = start_and_leave(&first, &token, &session).await;
    first.stop().await;
    let stored = message_of(&second, &token, &session, &message).await;
    assert_eq!(stored["status"], "error", "{stored}");
    assert!(stored["content"].as_str().unwrap().starts_with(&seen.text));
    // A listener on the other instance is told how it ended.
    let resumed = resume(&second, &token, &session, &message, 0).await;
    assert_eq!(
        resumed.events.last().unwrap().event.as_deref(),
        Some("error")
    );
}
