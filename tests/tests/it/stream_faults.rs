//! How streams end when the upstream misbehaves: silence, a stream cut short of its time,
//! events spread over several lines, a missing `[DONE]`, `stream_options: null`.

use serde_json::{json, Value};
use studio_tests::{
    access_token, api_key, db_test, sse, upstream::gateway_with_upstream, TestApp, TestDb,
};

fn chat(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hello there"}], "stream": true})
}

async fn stream(app: &TestApp, key: &str, body: &Value) -> (u16, Vec<sse::SseEvent>, String) {
    let response = app.post_auth("/v1/chat/completions", key, body).await;
    let text = response.text();
    (response.status.as_u16(), sse::parse(&text), text)
}

async fn record(db: &TestDb, model: &str) -> studio_usage::UsageRecord {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let records = studio_tests::usage_records(db, 1).await;
        if let Some(found) = records.into_iter().find(|r| r.model == model) {
            return found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no usage record for {model}"
        );
    }
}

#[db_test]
async fn a_stream_that_goes_silent_ends_with_a_timeout_error_event_and_is_recorded(db: TestDb) {
    let (app, _up) = gateway_with_upstream(&db, &[("STUDIO_SSE_KEEPALIVE_SECS", "1")]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    for (model, words) in [
        ("silent-at-once", "start answering within 1 seconds"),
        ("silent-midway", "send anything within 1 seconds"),
        ("too-long", "finish within 1 seconds"),
    ] {
        let started = std::time::Instant::now();
        let (status, events, text) = stream(&app, &key, &chat(model)).await;
        assert_eq!(status, 200, "{model}");
        assert!(started.elapsed().as_secs() < 10, "{model}: the stream hung");
        let last: Value = serde_json::from_str(&events.last().unwrap().data).unwrap();
        assert_eq!(last["error"]["code"], "upstream_timeout", "{model}: {text}");
        let message = last["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{model}: {message}");
        assert!(!text.contains("[DONE]"), "{model}");
        let stored = record(&db, model).await;
        assert_eq!(stored.status, 504, "{model}");
        assert!(!stored.cancelled, "{model}");
    }
}

#[db_test]
async fn multi_line_events_reach_the_client_whole_with_their_id_fields(db: TestDb) {
    let (app, _up) = gateway_with_upstream(&db, &[]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    let (status, events, text) = stream(&app, &key, &chat("multiline")).await;
    assert_eq!(status, 200);
    assert_eq!(events.last().unwrap().data, "[DONE]", "{text}");
    let chunks = &events[..events.len() - 1];
    assert!(chunks.len() >= 7, "{text}");
    let mut content = String::new();
    for event in chunks {
        assert!(
            event.data.contains('\n'),
            "the event lost its second line: {text}"
        );
        let chunk: Value = serde_json::from_str(&event.data).expect("each event is whole JSON");
        assert_eq!(chunk["model"], "multiline");
        assert!(event.id.is_some(), "the id field was dropped: {text}");
        content += chunk["choices"][0]["delta"]["content"]
            .as_str()
            .unwrap_or_default();
    }
    assert!(!content.is_empty());
    assert_eq!(record(&db, "multiline").await.status, 200);
}

#[db_test]
async fn a_stream_that_ends_after_its_answer_without_done_gets_done(db: TestDb) {
    let (app, _up) = gateway_with_upstream(&db, &[]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    let (status, events, text) = stream(&app, &key, &chat("no-done")).await;
    assert_eq!(status, 200);
    assert_eq!(events.last().unwrap().data, "[DONE]", "{text}");
    assert!(!text.contains("\"error\""), "{text}");
    let stored = record(&db, "no-done").await;
    assert_eq!(stored.status, 200);
    assert!(!stored.cancelled && stored.completion_tokens > 0);
}

#[db_test]
async fn a_tool_call_only_stream_has_a_time_to_first_token_and_counted_arguments(db: TestDb) {
    let (app, _up) = gateway_with_upstream(&db, &[]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    let (status, events, text) = stream(&app, &key, &chat("tool-calls")).await;
    assert_eq!(status, 200);
    assert!(text.contains("tool_calls") && !text.contains("\"content\":\"echo"));
    assert_eq!(events.last().unwrap().data, "[DONE]");
    let stored = record(&db, "tool-calls").await;
    assert!(
        stored.ttft_ms.is_some(),
        "no time to first token for a tool call"
    );
    // No usage from the upstream: the arguments ("echo: hello there" cycled) are estimated.
    assert!(
        stored.estimated && stored.completion_tokens >= 6,
        "{stored:?}"
    );
}

#[db_test]
async fn null_stream_options_are_treated_as_absent(db: TestDb) {
    let (app, up) = gateway_with_upstream(&db, &[]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    let body = r#"{"model":"chat","stream":true,"stream_options":null,
        "messages":[{"role":"user","content":"hi"}]}"#;
    let response = app
        .send_raw_auth(
            "/v1/chat/completions",
            &key,
            "application/json",
            body.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(response.status.as_u16(), 200, "{}", response.text());
    let events = sse::parse(&response.text());
    assert_eq!(events.last().unwrap().data, "[DONE]");
    // The client did not ask for usage: no usage chunk reaches it.
    assert!(events.iter().all(|e| !e.data.contains("\"usage\":{")));
    let sent = up.stats.snapshot().last_chat_request.unwrap();
    assert_eq!(sent["stream_options"], json!({"include_usage": true}));
}

#[db_test]
async fn content_type_is_read_as_a_media_type(db: TestDb) {
    let (app, _up) = gateway_with_upstream(&db, &[]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    let body = br#"{"model":"chat","messages":[{"role":"user","content":"hi"}]}"#.to_vec();
    for (content_type, status) in [
        ("application/jsonfoo", 415),
        ("application/json-patch+json", 415),
        ("text/plain", 415),
        ("application/json; charset=utf-8", 200),
        ("Application/JSON", 200),
    ] {
        let response = app
            .send_raw_auth("/v1/chat/completions", &key, content_type, body.clone())
            .await;
        assert_eq!(
            response.status.as_u16(),
            status,
            "{content_type}: {}",
            response.text()
        );
    }
}
