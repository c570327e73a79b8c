//! Streamed chat completions: the chunk sequence, usage, delays, and deliberate breakage.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{ask, raw_exchange, server, stream};

#[actix_web::test]
async fn a_stream_sends_role_tokens_finish_and_done() {
    let server = server().await;
    let events = stream(&server, ask("dev-chat", "hello world")).await;
    assert_eq!(events.data.last().unwrap(), "[DONE]");
    let chunks = events.chunks();
    assert_eq!(chunks.len(), 5, "role, 3 tokens, finish");
    let id = chunks[0]["id"].as_str().unwrap();
    assert!(id.starts_with("chatcmpl-"));
    for chunk in &chunks {
        assert_eq!(chunk["id"], id);
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["model"], "dev-chat");
        assert!(chunk.get("usage").is_none(), "{chunk}");
    }
    let deltas: Vec<&Value> = chunks.iter().map(|c| &c["choices"][0]["delta"]).collect();
    assert_eq!(deltas[0], &json!({"role": "assistant", "content": ""}));
    assert_eq!(deltas[1], &json!({"content": "echo:"}));
    assert_eq!(deltas[2], &json!({"content": " hello"}));
    assert_eq!(deltas[3], &json!({"content": " world"}));
    assert_eq!(deltas[4], &json!({}));
    let reasons: Vec<&Value> = chunks
        .iter()
        .map(|c| &c["choices"][0]["finish_reason"])
        .collect();
    assert_eq!(
        reasons,
        [
            &Value::Null,
            &Value::Null,
            &Value::Null,
            &Value::Null,
            &json!("stop")
        ]
    );
    assert!(eventually_completed(&server).await);
}

async fn eventually_completed(server: &studio_dev_inference::DevServer) -> bool {
    crate::support::eventually(server, |s| {
        s.streams_started == 1 && s.streams_completed == 1 && s.abandoned == 0
    })
    .await
}

#[actix_web::test]
async fn include_usage_adds_a_usage_chunk_and_null_usage_before_it() {
    let server = server().await;
    let mut body = ask("dev-chat", "hello world");
    body["stream_options"] = json!({"include_usage": true});
    let events = stream(&server, body).await;
    assert_eq!(events.data.last().unwrap(), "[DONE]");
    let chunks = events.chunks();
    let (usage_chunk, others) = chunks.split_last().unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert_eq!(
        usage_chunk["usage"],
        json!({"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8})
    );
    for chunk in others {
        assert_eq!(chunk["usage"], Value::Null);
        assert!(chunk.as_object().unwrap().contains_key("usage"));
    }
}

#[actix_web::test]
async fn usage_false_suppresses_the_usage_chunk_even_when_asked() {
    let server = server().await;
    let mut body = ask("dev-chat:usage=false", "hello");
    body["stream_options"] = json!({"include_usage": true});
    let events = stream(&server, body).await;
    assert!(events
        .chunks()
        .iter()
        .all(|chunk| chunk.get("usage").is_none()));
    assert_eq!(events.text(), "echo: hello");
}

#[actix_web::test]
async fn the_tokens_option_streams_exactly_n_content_chunks() {
    let server = server().await;
    let events = stream(&server, ask("dev-chat:tokens=50", "a b c")).await;
    let content_chunks = events
        .chunks()
        .iter()
        .filter(|c| {
            c["choices"][0]["delta"]
                .get("content")
                .is_some_and(|t| t != "")
        })
        .count();
    assert_eq!(content_chunks, 50);
    assert!(events.text().starts_with("echo: a b c echo: a"));
}

#[actix_web::test]
async fn max_tokens_cuts_the_stream_short_with_length() {
    let server = server().await;
    let mut body = ask("dev-chat", "one two three");
    body["max_tokens"] = json!(1);
    let events = stream(&server, body).await;
    assert_eq!(events.text(), "echo:");
    let chunks = events.chunks();
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "length"
    );
}

#[actix_web::test]
async fn ttft_and_delay_pace_the_tokens() {
    let server = server().await;
    let started = Instant::now();
    let events = stream(&server, ask("dev-chat:ttft=150,delay=50", "a b c")).await;
    assert_eq!(events.text(), "echo: a b c");
    assert!(
        started.elapsed() >= Duration::from_millis(150 + 3 * 50),
        "{:?}",
        started.elapsed()
    );
}

#[actix_web::test]
async fn cut_ends_the_body_mid_stream_without_done() {
    let server = server().await;
    let events = stream(&server, ask("dev-chat:cut=2", "one two three four")).await;
    assert!(!events.data.iter().any(|data| data == "[DONE]"));
    assert_eq!(events.text(), "echo: one");

    let mut body = ask("dev-chat:cut=2", "one two three four");
    body["stream"] = json!(true);
    let raw = raw_exchange(&server, "/chat/completions", &body).await;
    assert!(raw.starts_with("HTTP/1.1 200 OK"), "{raw}");
    assert!(raw.contains("transfer-encoding: chunked"), "{raw}");
    assert!(
        raw.contains(r#""content":" one""#),
        "the chunks before the cut arrive: {raw}"
    );
    assert!(!raw.ends_with("0\r\n\r\n"), "no terminating chunk: {raw}");

    let stats = server.stats.snapshot();
    assert_eq!(
        (
            stats.streams_started,
            stats.streams_completed,
            stats.abandoned
        ),
        (2, 0, 0)
    );
}

#[actix_web::test]
async fn malformed_inserts_a_broken_event_then_carries_on() {
    let server = server().await;
    let events = stream(&server, ask("dev-chat:malformed=1", "one two")).await;
    // role, "echo:", the broken event, " one", " two", finish, [DONE]
    assert_eq!(events.data[2], "{not json");
    assert_eq!(events.data.last().unwrap(), "[DONE]");
    let valid: Vec<Value> = events
        .data
        .iter()
        .filter_map(|data| serde_json::from_str(data).ok())
        .collect();
    let text: String = valid
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "echo: one two");
}
