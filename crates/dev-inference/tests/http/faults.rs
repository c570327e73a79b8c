//! Injected failures and clients that give up.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;

use crate::support::{ask, chat, client, eventually, server};

#[actix_web::test]
async fn fail_429_answers_a_rate_limit_error_with_retry_after() {
    let server = server().await;
    let reply = chat(&server, ask("dev-chat:fail=429", "hi")).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.headers.get("retry-after").unwrap(), "7");
    let error = &reply.json()["error"];
    assert_eq!(error["code"], "rate_limit_exceeded");
    assert_eq!(server.stats.snapshot().injected_failures, 1);
}

#[actix_web::test]
async fn fail_500_answers_the_openai_error_shape() {
    let server = server().await;
    let reply = chat(&server, ask("dev-chat:fail=500", "hi")).await;
    assert_eq!(reply.status, 500);
    let body = reply.json();
    let error = body["error"].as_object().unwrap();
    let mut keys: Vec<&str> = error.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["code", "message", "param", "type"]);
    assert_eq!(error["type"], "server_error");
    assert!(error["message"].as_str().unwrap().contains("Injected"));
    assert!(reply.headers.get("retry-after").is_none());
}

#[actix_web::test]
async fn fail_applies_to_streams_and_other_statuses_too() {
    let server = server().await;
    for (status, model) in [(503, "dev-chat:fail=503"), (400, "dev-chat:fail=400")] {
        let mut body = ask(model, "hi");
        body["stream"] = json!(true);
        let reply = chat(&server, body).await;
        assert_eq!(reply.status, status);
        assert!(reply.json()["error"]["message"].is_string());
    }
    assert_eq!(server.stats.snapshot().streams_started, 0);
}

#[actix_web::test]
async fn stall_holds_back_the_response_head() {
    let server = server().await;
    let started = Instant::now();
    let response = client()
        .post(format!("{}/chat/completions", server.base_url()))
        .send_json(&json!({"model": "dev-chat:stall=200", "stream": true, "messages": [{"role": "user", "content": "x"}]}))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[actix_web::test]
async fn a_client_dropping_a_slow_stream_counts_as_abandoned() {
    let server = server().await;
    let client = client();
    let mut response = client
        .post(format!("{}/chat/completions", server.base_url()))
        .send_json(&json!({"model": "dev-chat:tokens=1000,delay=100", "stream": true, "messages": [{"role": "user", "content": "x"}]}))
        .await
        .unwrap();
    let first = response.next().await.unwrap().unwrap();
    assert!(first.starts_with(b"data: "));
    drop(response);
    drop(client);
    assert!(
        eventually(&server, |s| s.abandoned == 1).await,
        "{:?}",
        server.stats.snapshot()
    );
    let stats = server.stats.snapshot();
    assert_eq!((stats.streams_started, stats.streams_completed), (1, 0));
}

#[actix_web::test]
async fn a_client_giving_up_during_a_stall_counts_as_abandoned() {
    let server = server().await;
    let result = awc::Client::builder()
        .timeout(Duration::from_millis(100))
        .finish()
        .post(format!("{}/chat/completions", server.base_url()))
        .send_json(&ask("dev-chat:stall=5000", "x"))
        .await;
    assert!(result.is_err(), "the client should have timed out");
    assert!(
        eventually(&server, |s| s.abandoned == 1).await,
        "{:?}",
        server.stats.snapshot()
    );
}
