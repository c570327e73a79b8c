//! The chat completions proxy against the dev inference server: pass-through, streaming,
//! failures, retries, cancellation and usage accounting.

use actix_web::http::Method;
use serde_json::{json, Value};
use studio_tests::{
    access_token, api_key, db_test, upstream::gateway_with_upstream, TestApp, TestDb,
};

fn chat(model: &str, stream: bool) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hello there studio"}], "stream": stream})
}

/// The `data:` payloads of an SSE body, in order.
fn events(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter_map(|event| event.strip_prefix("data: "))
        .map(str::to_owned)
        .collect()
}

/// Sends the same request straight to the upstream (with its model name).
async fn direct(app: &TestApp, base: &str, mut body: Value, model: &str) -> String {
    body["model"] = json!(model);
    let mut response = app
        .client
        .post(format!("{base}/chat/completions"))
        .send_json(&body)
        .await
        .unwrap();
    String::from_utf8(response.body().limit(1 << 20).await.unwrap().to_vec()).unwrap()
}

/// The upstream's text with its generated id and timestamp replaced by those of `like`.
fn align(upstream: &str, like: &Value, upstream_json: &Value) -> String {
    upstream
        .replace(
            upstream_json["id"].as_str().unwrap(),
            like["id"].as_str().unwrap(),
        )
        .replace(
            &format!("\"created\":{}", upstream_json["created"]),
            &format!("\"created\":{}", like["created"]),
        )
}

#[db_test]
async fn a_non_stream_reply_is_the_upstreams_body_with_the_public_model(db: TestDb) {
    let (app, up) = gateway_with_upstream(&db, &[]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    let response = app
        .post_auth("/v1/chat/completions", &key, &chat("chat", false))
        .await;
    let body = response.expect(200);
    assert_eq!(body["model"], "chat");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "echo: hello there studio"
    );
    let upstream_text = direct(&app, &up.base_url(), chat("chat", false), "dev-chat").await;
    let upstream_json: Value = serde_json::from_str(&upstream_text).unwrap();
    let expected = align(&upstream_text, &body, &upstream_json)
        .replace("\"model\":\"dev-chat\"", "\"model\":\"chat\"");
    assert_eq!(response.text(), expected);
}

#[db_test]
async fn streams_are_relayed_event_by_event_and_the_usage_chunk_only_when_asked(db: TestDb) {
    let (app, up) = gateway_with_upstream(&db, &[]).await;
    let token = access_token(&app, "ada@example.com").await;
    let response = app
        .post_auth("/v1/chat/completions", &token, &chat("chat", true))
        .await;
    assert_eq!(response.status, 200);
    assert!(response
        .header("content-type")
        .unwrap()
        .starts_with("text/event-stream"));
    assert_eq!(response.header("x-accel-buffering"), Some("no"));
    assert_eq!(response.header("cache-control"), Some("no-cache"));
    let relayed = events(&response.text());
    assert_eq!(relayed.last().map(String::as_str), Some("[DONE]"));
    let received = up.stats.snapshot().last_chat_request.unwrap();
    assert_eq!(
        received["stream_options"]["include_usage"], true,
        "Studio always asks for usage"
    );
    assert_eq!(received["model"], "dev-chat");

    let mut with_usage = chat("chat", true);
    with_usage["stream_options"] = json!({"include_usage": true});
    let upstream = events(&direct(&app, &up.base_url(), with_usage.clone(), "dev-chat").await);
    // Without include_usage the client gets every upstream event but the usage chunk.
    assert_eq!(relayed.len(), upstream.len() - 1);
    for (ours, theirs) in relayed
        .iter()
        .zip(upstream.iter().filter(|e| !e.contains("\"choices\":[]")))
    {
        if ours == "[DONE]" {
            assert_eq!(theirs, "[DONE]");
            continue;
        }
        let ours_json: Value = serde_json::from_str(ours).unwrap();
        let theirs_json: Value = serde_json::from_str(theirs).unwrap();
        assert_eq!(ours_json["model"], "chat");
        let expected = align(theirs, &ours_json, &theirs_json)
            .replace("\"model\":\"dev-chat\"", "\"model\":\"chat\"");
        assert_eq!(ours, &expected);
    }
    let asked = events(
        &app.post_auth("/v1/chat/completions", &token, &with_usage)
            .await
            .text(),
    );
    let usage_chunk: Value = serde_json::from_str(&asked[asked.len() - 2]).unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert!(usage_chunk["usage"]["total_tokens"].as_i64().unwrap() > 0);
    let text: String = asked
        .iter()
        .filter(|e| *e != "[DONE]")
        .filter_map(|e| serde_json::from_str::<Value>(e).ok())
        .filter_map(|e| {
            e["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(text, "echo: hello there studio");
}

#[db_test]
async fn fields_studio_does_not_know_are_passed_through(db: TestDb) {
    let (app, up) = gateway_with_upstream(&db, &[]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    let mut body = chat("chat", false);
    body["seed"] = json!(7);
    body["tools"] = json!([{"type": "function", "function": {"name": "f", "parameters": {}}}]);
    body["response_format"] = json!({"type": "json_object"});
    body["some_future_field"] = json!({"nested": [1, 2, 3]});
    app.post_auth("/v1/chat/completions", &key, &body)
        .await
        .expect(200);
    let received = up.stats.snapshot().last_chat_request.unwrap();
    for field in [
        "seed",
        "tools",
        "response_format",
        "some_future_field",
        "messages",
    ] {
        assert_eq!(received[field], body[field], "{field}");
    }
    assert_eq!(received["model"], "dev-chat");
}

#[db_test]
async fn invalid_requests_get_openai_errors_naming_the_parameter(db: TestDb) {
    let (app, _up) = gateway_with_upstream(&db, &[("STUDIO_MAX_BODY_BYTES", "4096")]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    let cases = [
        (
            json!({"messages": [{"role": "user", "content": "x"}]}),
            400,
            "model",
        ),
        (
            json!({"model": "nope", "messages": [{"role": "user", "content": "x"}]}),
            404,
            "model",
        ),
        (
            json!({"model": "image", "messages": [{"role": "user", "content": "x"}]}),
            400,
            "model",
        ),
        (json!({"model": "chat", "messages": []}), 400, "messages"),
        (
            json!({"model": "chat", "messages": [{"role": "robot", "content": "x"}]}),
            400,
            "messages[0].role",
        ),
        (
            json!({"model": "chat", "messages": [{"role": "user", "content": "x"}], "max_tokens": 1000}),
            400,
            "max_tokens",
        ),
        (
            json!({"model": "chat", "messages": [{"role": "user", "content": "x"}], "temperature": -1}),
            400,
            "temperature",
        ),
    ];
    for (body, status, param) in cases {
        let error = app
            .post_auth("/v1/chat/completions", &key, &body)
            .await
            .expect_openai_error(status);
        assert_eq!(error["error"]["param"], param, "{body}");
    }
    let bearer = format!("Bearer {key}");
    let malformed = app
        .request(
            Method::POST,
            "/v1/chat/completions",
            &[
                ("authorization", &bearer),
                ("content-type", "application/json"),
            ],
            None,
        )
        .await;
    malformed.expect_openai_error(400);
    let big = json!({"model": "chat", "messages": [{"role": "user", "content": "x".repeat(8192)}]});
    app.post_auth("/v1/chat/completions", &key, &big)
        .await
        .expect_openai_error(413);
    app.get_auth("/v1/chat/completions", &key)
        .await
        .expect_openai_error(405);
    let form = app
        .client
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .send_body("model=chat")
        .await
        .unwrap();
    assert_eq!(form.status(), 415);
    app.post("/v1/chat/completions", &chat("chat", false))
        .await
        .expect_openai_error(401);
}

#[db_test]
async fn upstream_failures_map_to_openai_statuses(db: TestDb) {
    let (app, up) = gateway_with_upstream(&db, &[]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    let post = |model: &'static str| {
        let (app, key) = (&app, &key);
        async move {
            app.post_auth("/v1/chat/completions", key, &chat(model, false))
                .await
        }
    };
    post("fails-500").await.expect_openai_error(502);
    let limited = post("fails-429").await;
    limited.expect_openai_error(429);
    assert_eq!(limited.header("retry-after"), Some("7"));
    let refused = post("fails-400").await;
    let body = refused.expect_openai_error(400);
    assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    post("refused").await.expect_openai_error(502);
    let started = std::time::Instant::now();
    post("stalls").await.expect_openai_error(504);
    assert!(
        started.elapsed().as_secs() < 4,
        "the timeout was not applied"
    );
    // Retried on the next upstream before the first byte.
    post("retry-refused").await.expect(200);
    let failures_before = up.stats.snapshot().injected_failures;
    let retried = post("retry-500").await.expect(200);
    assert_eq!(retried["model"], "retry-500");
    assert!(
        up.stats.snapshot().injected_failures > failures_before,
        "the failing upstream was not tried first"
    );
}

#[db_test]
async fn a_stream_that_breaks_ends_with_an_error_event(db: TestDb) {
    let (app, _up) = gateway_with_upstream(&db, &[]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    for model in ["cuts", "malformed"] {
        let body = app
            .post_auth("/v1/chat/completions", &key, &chat(model, true))
            .await
            .text();
        let relayed = events(&body);
        assert!(!relayed.contains(&"[DONE]".to_owned()), "{model}: {body}");
        let last: Value = serde_json::from_str(relayed.last().unwrap()).unwrap();
        assert!(last["error"]["message"].is_string(), "{model}: {body}");
        assert!(
            relayed.len() >= 3,
            "{model}: the events before the failure were lost: {body}"
        );
    }
}
