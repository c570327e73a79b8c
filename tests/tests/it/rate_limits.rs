//! Rate limits, stream limits, budgets and cost: exact across two gateways sharing Redis, the
//! OpenAI way of saying no, and a Redis outage that limits per instance instead of not at all.

use futures_util::future::join_all;
use serde_json::{json, Value};
use studio_tests::{
    access_token, api_key, db_test, redis::RedisServer, upstream::gateway_with_upstream, TestApp,
    TestDb,
};

fn chat(model: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream, "max_tokens": 20,
        "messages": [{"role": "user", "content": "hello there"}]})
}

/// The key's id (from the list) and its new limits.
async fn limit_key(app: &TestApp, token: &str, limits: Value) -> String {
    let keys = app.get_auth("/api/keys", token).await.expect(200);
    let id = keys[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/keys/{id}");
    let updated = app
        .send_auth(
            actix_web::http::Method::PATCH,
            &path,
            token,
            Some(&json!({ "limits": limits })),
        )
        .await
        .expect(200);
    assert_eq!(updated["limits"], limits_with_nulls(&limits));
    id
}

fn limits_with_nulls(limits: &Value) -> Value {
    let mut all = json!({"requestsPerMinute": null, "tokensPerMinute": null,
        "concurrentStreams": null, "monthlyTokenBudget": null, "monthlyCostBudgetUsd": null});
    for (k, v) in limits.as_object().unwrap() {
        all[k] = v.clone();
    }
    all
}

#[db_test]
async fn a_key_limited_to_100_a_minute_gets_100_across_two_gateways(db: TestDb) {
    let redis = RedisServer::start().await;
    let url = redis.url();
    let shared = [("REDIS_URL", url.as_str())];
    let (one, _up) = gateway_with_upstream(&db, &shared).await;
    let (two, _up2) = gateway_with_upstream(&db, &shared).await;
    let token = access_token(&one, "ada@example.com").await;
    let key = api_key(&one, &token).await;
    limit_key(&one, &token, json!({"requestsPerMinute": 100})).await;
    let mut allowed = 0;
    let mut refused = None;
    let body = chat("chat", false);
    for round in 0..50 {
        let sent = (0..20).map(|i| {
            let app = if (round + i) % 2 == 0 { &one } else { &two };
            app.post_auth("/v1/chat/completions", &key, &body)
        });
        for response in join_all(sent).await {
            match response.status.as_u16() {
                200 => allowed += 1,
                429 => refused = Some(response),
                other => panic!("unexpected {other}: {}", response.text()),
            }
        }
    }
    assert!((99..=101).contains(&allowed), "{allowed} of 1,000 allowed");
    let refused = refused.expect("some requests were refused");
    let error = refused.json();
    assert_eq!(error["error"]["type"], "requests");
    assert_eq!(error["error"]["code"], "rate_limit_exceeded");
    assert!(refused.header("retry-after").is_some());
    assert_eq!(refused.header("x-ratelimit-limit-requests"), Some("100"));
    assert_eq!(refused.header("x-ratelimit-remaining-requests"), Some("0"));
    assert!(refused.header("x-ratelimit-reset-requests").is_some());
    let ready = one.get("/readyz").await.expect(200);
    assert_eq!(ready["limiter"]["backend"], "redis");
}

#[db_test]
async fn streams_tokens_and_budgets_are_limited_per_key(db: TestDb) {
    let (app, _up) = gateway_with_upstream(&db, &[]).await;
    let token = access_token(&app, "ada@example.com").await;
    let key = api_key(&app, &token).await;
    // Five slow streams at once; the sixth is refused until one ends.
    limit_key(&app, &token, json!({"concurrentStreams": 5})).await;
    let mut streams = Vec::new();
    for _ in 0..5 {
        let response = app
            .client
            .post(app.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .send_json(&chat("slow", true))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        streams.push(response);
    }
    let sixth = app
        .post_auth("/v1/chat/completions", &key, &chat("slow", true))
        .await;
    assert_eq!(sixth.status.as_u16(), 429, "{}", sixth.text());
    drop(streams.pop());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let mut again = app
            .client
            .post(app.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .send_json(&chat("chat", true))
            .await
            .unwrap();
        if again.status() == 200 {
            let _ = again.body().await;
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the freed stream slot never came back"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    drop(streams);

    // Tokens per minute: a reservation (prompt estimate + max_tokens) past the limit is refused.
    limit_key(&app, &token, json!({"tokensPerMinute": 30})).await;
    let refused = app
        .post_auth("/v1/chat/completions", &key, &chat("chat", false))
        .await;
    assert_eq!(refused.status.as_u16(), 429, "{}", refused.text());
    assert_eq!(refused.json()["error"]["type"], "tokens");
    assert_eq!(refused.header("x-ratelimit-limit-tokens"), Some("30"));

    // A monthly budget on a fresh key: requests go through until it is spent, then
    // insufficient_quota.
    let key = api_key(&app, &token).await;
    let key_id = limit_key(&app, &token, json!({"monthlyTokenBudget": 400})).await;
    let mut answered = 0;
    loop {
        let response = app
            .post_auth("/v1/chat/completions", &key, &chat("chat", false))
            .await;
        if response.status.as_u16() == 429 {
            assert_eq!(response.json()["error"]["code"], "insufficient_quota");
            break;
        }
        assert_eq!(response.status.as_u16(), 200);
        answered += 1;
        assert!(answered < 100, "the budget never ran out");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let of_key = loop {
        let records = studio_tests::usage_records(&db, 0).await;
        let of_key: Vec<_> = records
            .into_iter()
            .filter(|r| r.api_key_id.as_deref() == Some(key_id.as_str()))
            .collect();
        if of_key.len() >= answered || std::time::Instant::now() > deadline {
            break of_key;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(of_key.len(), answered);
    let spent: i64 = of_key.iter().map(|r| r.total_tokens).sum();
    assert!(spent <= 400, "the budget was overshot: {spent} tokens");
    assert!(answered >= 2);
}

#[db_test]
async fn each_record_is_priced_and_the_report_sums_the_cost(db: TestDb) {
    let (app, _up) = gateway_with_upstream(&db, &[]).await;
    let token = access_token(&app, "ada@example.com").await;
    let reply = app
        .post_auth("/v1/chat/completions", &token, &chat("priced", false))
        .await;
    let usage = reply.expect(200)["usage"].clone();
    let records = studio_tests::usage_records(&db, 1).await;
    let expected = usage["prompt_tokens"].as_f64().unwrap() * 2.0 / 1e6
        + usage["completion_tokens"].as_f64().unwrap() * 10.0 / 1e6;
    assert!(
        (records[0].cost_usd - expected).abs() < 1e-9,
        "{}",
        records[0].cost_usd
    );
    let report = app.get_auth("/api/usage", &token).await.expect(200);
    assert!((report["totals"]["costUsd"].as_f64().unwrap() - expected).abs() < 1e-9);
    // Unpriced models cost nothing, and say so by a zero.
    app.post_auth("/v1/chat/completions", &token, &chat("chat", false))
        .await
        .expect(200);
    let records = studio_tests::usage_records(&db, 2).await;
    assert!(records
        .iter()
        .any(|r| r.model == "chat" && r.cost_usd == 0.0));
}

#[db_test]
async fn limits_are_yours_to_set_and_checked(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let ada = access_token(&app, "ada@example.com").await;
    api_key(&app, &ada).await;
    let id = limit_key(&app, &ada, json!({"requestsPerMinute": 10})).await;
    let path = format!("/api/keys/{id}");
    let bob = access_token(&app, "bob@example.com").await;
    let patch = json!({"limits": {"requestsPerMinute": 1}});
    app.send_auth(actix_web::http::Method::PATCH, &path, &bob, Some(&patch))
        .await
        .expect_api_error(404, "not_found");
    let bad = json!({"limits": {"monthlyCostBudgetUsd": -1.0}});
    app.send_auth(actix_web::http::Method::PATCH, &path, &ada, Some(&bad))
        .await
        .expect(400);
    let listed = app.get_auth("/api/keys", &ada).await.expect(200);
    assert_eq!(listed[0]["limits"]["requestsPerMinute"], 10);
}

#[db_test]
async fn with_redis_down_limits_hold_per_instance_and_are_shared_again_after(db: TestDb) {
    let mut redis = RedisServer::start().await;
    let url = redis.url();
    let (app, _up) = gateway_with_upstream(&db, &[("REDIS_URL", url.as_str())]).await;
    let token = access_token(&app, "ada@example.com").await;
    let key = api_key(&app, &token).await;
    limit_key(&app, &token, json!({"requestsPerMinute": 5})).await;
    redis.stop();
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let response = app
            .post_auth("/v1/chat/completions", &key, &chat("chat", false))
            .await;
        statuses.push(response.status.as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        5,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 429),
        "{statuses:?}"
    );
    let ready = app.get("/readyz").await.expect(200);
    assert_eq!(ready["limiter"]["fallback"], true);
    assert_eq!(ready["limiter"]["backend"], "in-process");
    redis.resume().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.get("/readyz").await.json()["limiter"]["backend"] != "redis" {
        assert!(
            std::time::Instant::now() < deadline,
            "Redis was never used again"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
