//! The chat proxy's accounting: a cancelled stream is still recorded, usage comes from the
//! upstream or is estimated, and each user sees only their own.

use futures_util::StreamExt;
use serde_json::{json, Value};
use studio_tests::{
    access_token, api_key, db_test, upstream::gateway_with_upstream, TestApp, TestDb,
};

fn chat(model: &str, stream: bool) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hello there studio"}], "stream": stream})
}

/// The caller's usage report once it counts `requests` (records are written in the background).
async fn usage_report(app: &TestApp, token: &str, requests: i64) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let report = app.get_auth("/api/usage", token).await.expect(200);
        if report["totals"]["requests"].as_i64() >= Some(requests)
            || std::time::Instant::now() > deadline
        {
            return report;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

#[db_test]
async fn a_client_that_goes_away_cancels_upstream_work_and_is_still_accounted(db: TestDb) {
    let (app, up) = gateway_with_upstream(&db, &[]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    let mut response = app
        .client
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .send_json(&chat("slow", true))
        .await
        .unwrap();
    let first = response.next().await.unwrap().unwrap();
    assert!(first.starts_with(b"data: "));
    drop(response);
    let started = std::time::Instant::now();
    while up.stats.snapshot().abandoned == 0 {
        assert!(
            started.elapsed().as_millis() < 1500,
            "the upstream stream was not cancelled"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let records = studio_tests::usage_records(&db, 1).await;
    let record = records
        .iter()
        .find(|r| r.model == "slow")
        .expect("a usage record for the cancelled stream");
    assert!(record.cancelled);
    // A /v1 call answers no session.
    assert!(record.session_id.is_none() && record.message_id.is_none());
    assert!(record.completion_tokens > 0 && record.estimated);
}

#[db_test]
async fn usage_is_recorded_from_the_upstream_or_estimated_and_shown_to_its_owner(db: TestDb) {
    let (app, _up) = gateway_with_upstream(&db, &[]).await;
    let token = access_token(&app, "ada@example.com").await;
    let key = api_key(&app, &token).await;
    let reply = app
        .post_auth("/v1/chat/completions", &key, &chat("chat", false))
        .await
        .expect(200);
    let reported = reply["usage"].clone();
    let stream = app
        .post_auth("/v1/chat/completions", &key, &chat("chat", true))
        .await;
    assert_eq!(stream.status, 200);
    app.post_auth("/v1/chat/completions", &token, &chat("no-usage", false))
        .await
        .expect(200);

    let report = usage_report(&app, &token, 3).await;
    assert_eq!(report["totals"]["requests"], 3);
    let by_model = report["byModel"].as_array().unwrap();
    let chat_usage = by_model.iter().find(|m| m["model"] == "chat").unwrap();
    assert_eq!(chat_usage["requests"], 2);
    assert_eq!(
        chat_usage["promptTokens"],
        reported["prompt_tokens"].as_i64().unwrap() * 2
    );
    assert_eq!(
        chat_usage["completionTokens"],
        reported["completion_tokens"].as_i64().unwrap() * 2
    );
    assert_eq!(report["byDay"].as_array().unwrap().len(), 1);

    let records = studio_tests::usage_records(&db, 3).await;
    assert_eq!(records.len(), 3);
    let estimated = records.iter().find(|r| r.model == "no-usage").unwrap();
    assert!(estimated.estimated && estimated.completion_tokens > 0 && estimated.prompt_tokens > 0);
    assert!(estimated.api_key_id.is_none());
    let streamed = records.iter().find(|r| r.stream).unwrap();
    assert!(!streamed.estimated && !streamed.cancelled && streamed.status == 200);
    assert!(streamed.api_key_id.is_some() && streamed.ttft_ms.is_some());
    assert_eq!(streamed.upstream.as_deref(), Some(_up.base_url().as_str()));

    let bob = access_token(&app, "bob@example.com").await;
    assert_eq!(
        app.get_auth("/api/usage", &bob).await.expect(200)["totals"]["requests"],
        0
    );
    app.get("/api/usage")
        .await
        .expect_api_error(401, "missing_token");
    app.get_auth("/api/usage?from=yesterday", &token)
        .await
        .expect_api_error(400, "validation_error");
}
