//! Replies outlive their connection: leaving is not cancelling, a stream resumes from its last
//! event id, cancel is explicit, and a reply a dead process left `streaming` becomes `error`
//! with its text kept.

use std::time::{Duration, Instant};

use serde_json::json;
use studio_tests::{
    db_test,
    sessions::{create_session, finished, resume, setup, slow_session, start_and_leave},
    TestApp, TestDb,
};

#[db_test]
async fn a_client_that_leaves_resumes_and_gets_exactly_the_stored_reply(db: TestDb) {
    let (app, up, token) = setup(&db).await;
    let session = slow_session(&app, &token).await;
    let (message, seen) = start_and_leave(&app, &token, &session).await;
    let after = seen.last_id.unwrap();
    assert_eq!(after, seen.text.len());
    let resumed = resume(&app, &token, &session, &message, after).await;
    assert!(resumed.ended_with_done(), "{:?}", resumed.events);
    let stored = finished(&app, &token, &session, &message).await;
    assert_eq!(stored["status"], "complete");
    assert_eq!(
        format!("{}{}", seen.text, resumed.text),
        stored["content"].as_str().unwrap()
    );
    assert_eq!(up.stats.snapshot().abandoned, 0, "leaving did not cancel");
    // A finished reply replays whole, then [DONE].
    let replay = resume(&app, &token, &session, &message, 0).await;
    assert_eq!(replay.text, stored["content"].as_str().unwrap());
    assert!(replay.ended_with_done());
    let bad = app
        .get_auth(
            &format!("/api/chat/sessions/{session}/messages/{message}/stream?after=x"),
            &token,
        )
        .await;
    bad.expect_api_error(400, "validation_error");
}

#[db_test]
async fn cancel_stops_the_upstream_and_keeps_the_partial_reply(db: TestDb) {
    let (app, up, token) = setup(&db).await;
    let session = slow_session(&app, &token).await;
    let (message, seen) = start_and_leave(&app, &token, &session).await;
    let cancelled_at = Instant::now();
    let path = format!("/api/chat/sessions/{session}/messages/{message}/cancel");
    let stored = app.post_auth(&path, &token, &json!({})).await.expect(200);
    assert_eq!(stored["status"], "cancelled");
    let kept = stored["content"].as_str().unwrap();
    assert!(kept.starts_with(&seen.text) && !kept.is_empty(), "{kept}");
    while up.stats.snapshot().abandoned < 1 {
        assert!(
            cancelled_at.elapsed() < Duration::from_secs(1),
            "the upstream kept working"
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    let replay = resume(&app, &token, &session, &message, 0).await;
    assert_eq!(replay.text, kept);
    assert_eq!(replay.events.last().unwrap().data, "[DONE]");
    assert!(replay
        .events
        .iter()
        .any(|e| e.event.as_deref() == Some("cancelled")));
}

#[db_test]
async fn deleting_a_session_while_it_streams_cancels_the_upstream(db: TestDb) {
    let (app, up, token) = setup(&db).await;
    let session = slow_session(&app, &token).await;
    start_and_leave(&app, &token, &session).await;
    app.send_auth(
        actix_web::http::Method::DELETE,
        &format!("/api/chat/sessions/{session}"),
        &token,
        None,
    )
    .await
    .expect(204);
    let deadline = Instant::now() + Duration::from_secs(2);
    while up.stats.snapshot().abandoned < 1 {
        assert!(Instant::now() < deadline, "the upstream kept working");
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    app.get_auth(&format!("/api/chat/sessions/{session}"), &token)
        .await
        .expect(404);
}

#[db_test]
async fn an_upstream_failing_midway_leaves_an_error_with_the_partial_text(db: TestDb) {
    let (app, _up, token) = setup(&db).await;
    let session = create_session(&app, &token, json!({"model": "cuts"})).await;
    let session = session["id"].as_str().unwrap();
    let streamed = studio_tests::sessions::say(&app, &token, session, "one two three four").await;
    let last = streamed.events.last().unwrap();
    assert_eq!(
        last.event.as_deref(),
        Some("error"),
        "{:?}",
        streamed.events
    );
    let message = finished(&app, &token, session, &streamed.message_ids().1).await;
    assert_eq!(message["status"], "error");
    assert!(message["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert_eq!(message["content"], streamed.text.as_str());
    assert!(!streamed.text.is_empty());
}

#[db_test]
async fn a_reply_left_streaming_by_a_dead_process_becomes_an_error_with_its_text(db: TestDb) {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use studio_core::{db_run, schema::chat_messages};
    let (app, _up, token) = setup(&db).await;
    let session = create_session(&app, &token, json!({"model": "chat"})).await;
    let session = session["id"].as_str().unwrap();
    let reply = studio_tests::sessions::say(&app, &token, session, "remember this").await;
    let message = reply.message_ids().1;
    app.stop().await;
    // As a crash leaves it: streaming, checkpointed a while ago, nobody generating it.
    let target = TestApp::config(&db, &[]).unwrap().database;
    let pool = studio_core::db::connect(&target, 1).await.unwrap();
    let long_ago = studio_core::time::now() - chrono::Duration::minutes(10);
    db_run!(&pool, |conn| diesel::update(
        chat_messages::table.find(&message)
    )
    .set((
        chat_messages::status.eq("streaming"),
        chat_messages::checkpointed_at.eq(long_ago)
    ))
    .execute(conn)
    .await)
    .unwrap();
    let models = db.dir().join("models.toml");
    let restarted =
        TestApp::spawn_with(&db, &[("STUDIO_MODELS_FILE", models.to_str().unwrap())]).await;
    let stored = studio_tests::sessions::message_of(&restarted, &token, session, &message).await;
    assert_eq!(stored["status"], "error");
    assert_eq!(stored["content"], reply.text.as_str());
    assert!(stored["error"].as_str().unwrap().contains("stopped"));
}
