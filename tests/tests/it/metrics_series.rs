//! What a scrape shows after real requests through the dev inference stand-in: tokens, time to
//! first token, upstream durations, retries, cancellations, active streams, limiter decisions
//! and the API-key cache.

use std::time::Duration;

use serde_json::{json, Value};
use studio_tests::{
    access_token, api_key, db_test, eventually, prometheus, upstream::gateway_with_upstream,
    TestApp, TestDb,
};
use tokio::{io::AsyncWriteExt, net::TcpStream};

const ON: (&str, &str) = ("STUDIO_METRICS_BIND", "127.0.0.1:0");

fn chat(model: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream, "max_tokens": 20,
        "messages": [{"role": "user", "content": "hello there"}]})
}

/// Waits until the scrape satisfies `check` (usage is settled when a stream's record is written).
async fn scrape_until(app: &TestApp, what: &str, check: impl Fn(&prometheus::Scrape) -> bool) {
    eventually(10, what, || async {
        let scrape = prometheus::scrape(app).await;
        check(&scrape).then_some(())
    })
    .await;
}

#[db_test]
async fn a_chat_request_adds_its_tokens_durations_and_first_token_time(db: TestDb) {
    let (app, _up) = gateway_with_upstream(&db, &[ON]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    let answer = app
        .post_auth("/v1/chat/completions", &key, &chat("chat", false))
        .await;
    let usage = answer.expect(200)["usage"].clone();
    let streamed = app
        .post_auth("/v1/chat/completions", &key, &chat("chat", true))
        .await;
    assert_eq!(streamed.status.as_u16(), 200);
    assert!(streamed.text().contains("[DONE]"));
    let prompt = usage["prompt_tokens"].as_f64().unwrap();
    let completion = usage["completion_tokens"].as_f64().unwrap();
    let tokens = |kind| [("model", "chat"), ("type", kind)];
    scrape_until(&app, "both requests' tokens", |s| {
        s.value("studio_chat_tokens_total", &tokens("prompt")) == 2.0 * prompt
    })
    .await;
    let scrape = prometheus::scrape(&app).await;
    assert_eq!(
        scrape.value("studio_chat_tokens_total", &tokens("completion")),
        2.0 * completion
    );
    let route = [
        ("method", "POST"),
        ("route", "/v1/chat/completions"),
        ("status", "200"),
    ];
    assert_eq!(scrape.value("studio_http_requests_total", &route), 2.0);
    let model = [("model", "chat")];
    let count = |name| scrape.value(name, &model);
    assert_eq!(count("studio_chat_time_to_first_token_seconds_count"), 2.0);
    assert_eq!(count("studio_upstream_request_duration_seconds_count"), 2.0);
    assert!(count("studio_chat_time_to_first_token_seconds_sum") > 0.0);
    let buckets = scrape.find("studio_chat_time_to_first_token_seconds_bucket", &model);
    assert!(buckets
        .iter()
        .any(|b| b.labels["le"] == "+Inf" && b.value == 2.0));
    let upstream = &buckets[0].labels["upstream"];
    assert!(upstream.starts_with("http://127.0.0.1:"), "{upstream}");
    assert_eq!(scrape.value("studio_chat_active_streams", &model), 0.0);
    assert_eq!(scrape.value("studio_requests_cancelled_total", &model), 0.0);
    // The first request verified the key from the database, the second from the cache.
    let cache = |result| [("cache", "api_keys"), ("result", result)];
    assert_eq!(
        scrape.value("studio_cache_requests_total", &cache("miss")),
        1.0
    );
    assert_eq!(
        scrape.value("studio_cache_requests_total", &cache("hit")),
        1.0
    );
    assert!(scrape.has("studio_usage_queue_depth"));
}

#[db_test]
async fn an_upstream_that_fails_first_counts_a_retry(db: TestDb) {
    let (app, _up) = gateway_with_upstream(&db, &[ON]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    for model in ["retry-500", "retry-refused"] {
        let answer = app
            .post_auth("/v1/chat/completions", &key, &chat(model, false))
            .await;
        answer.expect(200);
    }
    let scrape = prometheus::scrape(&app).await;
    for model in ["retry-500", "retry-refused"] {
        let labels = [("kind", "chat"), ("model", model)];
        assert_eq!(
            scrape.value("studio_upstream_retries_total", &labels),
            1.0,
            "{model}"
        );
    }
    let chat = [("kind", "chat"), ("model", "chat")];
    assert_eq!(scrape.value("studio_upstream_retries_total", &chat), 0.0);
}

#[db_test]
async fn a_client_that_drops_a_stream_counts_as_cancelled(db: TestDb) {
    let (app, _up) = gateway_with_upstream(&db, &[ON]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    let address = app.base_url.trim_start_matches("http://").to_owned();
    let mut socket = TcpStream::connect(&address).await.unwrap();
    let body = chat("slow", true).to_string();
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let slow = [("model", "slow")];
    scrape_until(&app, "the stream is active", |s| {
        s.value("studio_chat_active_streams", &slow) == 1.0
    })
    .await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    #[allow(deprecated)]
    socket.set_linger(Some(Duration::ZERO)).unwrap();
    drop(socket);
    scrape_until(&app, "the stream is cancelled", |s| {
        s.value(
            "studio_requests_cancelled_total",
            &[("kind", "chat"), ("model", "slow")],
        ) == 1.0
            && s.value("studio_chat_active_streams", &slow) == 0.0
    })
    .await;
}

#[db_test]
async fn limiter_decisions_are_counted_by_outcome_and_kind(db: TestDb) {
    let (app, _up) = gateway_with_upstream(&db, &[ON]).await;
    let token = access_token(&app, "ada@example.com").await;
    let key = api_key(&app, &token).await;
    let keys = app.get_auth("/api/keys", &token).await.expect(200);
    let path = format!("/api/keys/{}", keys[0]["id"].as_str().unwrap());
    let limits = json!({"limits": {"requestsPerMinute": 1}});
    let method = actix_web::http::Method::PATCH;
    app.send_auth(method, &path, &token, Some(&limits))
        .await
        .expect(200);
    app.post_auth("/v1/chat/completions", &key, &chat("chat", false))
        .await
        .expect(200);
    let refused = app
        .post_auth("/v1/chat/completions", &key, &chat("chat", false))
        .await;
    assert_eq!(refused.status.as_u16(), 429);
    let scrape = prometheus::scrape(&app).await;
    let decisions = "studio_limiter_decisions_total";
    assert_eq!(scrape.value(decisions, &[("outcome", "admitted")]), 1.0);
    let limited = [("outcome", "limited"), ("kind", "requests")];
    assert_eq!(scrape.value(decisions, &limited), 1.0, "{}", scrape.text);
    assert_eq!(scrape.value(decisions, &[("kind", "tokens")]), 0.0);
    let route = [("route", "/v1/chat/completions"), ("status", "429")];
    assert_eq!(scrape.value("studio_http_requests_total", &route), 1.0);
}

#[db_test]
async fn an_image_generation_adds_its_upstream_duration(db: TestDb) {
    let (app, _up) = gateway_with_upstream(&db, &[ON]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    let body = json!({"model": "image", "prompt": "a fox", "response_format": "b64_json"});
    app.post_auth("/v1/images/generations", &key, &body)
        .await
        .expect(200);
    let scrape = prometheus::scrape(&app).await;
    let image = [("kind", "image"), ("model", "image")];
    let count = "studio_upstream_request_duration_seconds_count";
    assert_eq!(scrape.value(count, &image), 1.0, "{}", scrape.text);
    assert_eq!(scrape.value("studio_upstream_retries_total", &image), 0.0);
    let route = [("route", "/v1/images/generations"), ("status", "200")];
    assert_eq!(scrape.value("studio_http_requests_total", &route), 1.0);
    // Image models have no token or stream series.
    assert!(scrape
        .find("studio_chat_tokens_total", &[("model", "image")])
        .is_empty());
}
