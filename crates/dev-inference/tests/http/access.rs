//! The API key, request counting and `/stats`.

use serde_json::json;
use studio_dev_inference::{DevConfig, StatsSnapshot};

use crate::support::{ask, client, get, server, server_with};

#[actix_web::test]
async fn a_configured_key_is_required_on_every_v1_route() {
    let server = server_with(DevConfig {
        api_key: Some("sk-dev".into()),
        ..DevConfig::default()
    })
    .await;
    let url = format!("{}/chat/completions", server.base_url());

    let mut missing = client()
        .post(&url)
        .send_json(&ask("dev-chat", "hi"))
        .await
        .unwrap();
    assert_eq!(missing.status(), 401);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_api_key");

    let wrong = client()
        .post(&url)
        .bearer_auth("sk-other")
        .send_json(&ask("dev-chat", "hi"))
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let models = client()
        .get(format!("{}/models", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), 401);

    let right = client()
        .post(&url)
        .bearer_auth("sk-dev")
        .send_json(&ask("dev-chat", "hi"))
        .await
        .unwrap();
    assert_eq!(right.status(), 200);

    let stats = server.stats.snapshot();
    assert_eq!(stats.requests, 4, "rejected requests count too");
    assert_eq!(
        stats.chat_requests, 1,
        "only authenticated chats reach the handler"
    );
}

#[actix_web::test]
async fn stats_report_what_the_upstream_received() {
    let server = server().await;
    let body = json!({
        "model": "dev-chat",
        "messages": [{"role": "user", "content": "hi"}],
        "user": "someone",
        "metadata": {"trace": [1, 2]},
    });
    crate::support::chat(&server, body.clone()).await;
    let mut streamed = ask("dev-chat", "again");
    streamed["stream"] = json!(true);
    crate::support::stream(&server, streamed.clone()).await;

    let reply = get(&format!("http://127.0.0.1:{}/stats", server.port)).await;
    assert_eq!(reply.status, 200);
    let stats: StatsSnapshot = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(stats.requests, 2, "/stats itself is not under /v1");
    assert_eq!(stats.chat_requests, 2);
    assert_eq!(stats.streams_started, 1);
    assert_eq!(stats.image_requests, 0);
    assert_eq!(stats.last_chat_request, Some(streamed));
    assert_eq!(server.stats.snapshot().requests, 2);
}
