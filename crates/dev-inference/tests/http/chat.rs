//! Non-stream chat completions, models and routing.

use serde_json::json;

use crate::support::{ask, chat, client, get, post, server};

#[actix_web::test]
async fn a_chat_completion_echoes_the_last_user_message_with_usage() {
    let server = server().await;
    let reply = chat(
        &server,
        json!({
            "model": "dev-chat",
            "temperature": 0.2,
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": [{"type": "text", "text": "hello there"}, {"type": "text", "text": "world"}]},
            ],
        }),
    )
    .await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(body["object"], "chat.completion");
    assert!(body["created"].as_u64().unwrap() > 1_700_000_000);
    assert_eq!(body["model"], "dev-chat");
    assert_eq!(
        body["choices"],
        json!([{"index": 0, "message": {"role": "assistant", "content": "echo: hello there world"}, "finish_reason": "stop"}])
    );
    // 2 + 3 words and 3 per message; 4 tokens: "echo:", "hello", "there", "world".
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15})
    );
}

#[actix_web::test]
async fn max_tokens_below_the_answer_stops_with_length() {
    let server = server().await;
    let mut body = ask("dev-chat", "one two three four");
    body["max_completion_tokens"] = json!(2);
    let reply = chat(&server, body).await.json();
    assert_eq!(reply["choices"][0]["message"]["content"], "echo: one");
    assert_eq!(reply["choices"][0]["finish_reason"], "length");
    assert_eq!(reply["usage"]["completion_tokens"], 2);
}

#[actix_web::test]
async fn the_tokens_option_emits_exactly_that_many_tokens() {
    let server = server().await;
    let reply = chat(&server, ask("dev-chat:tokens=5", "hi you"))
        .await
        .json();
    assert_eq!(reply["model"], "dev-chat:tokens=5");
    assert_eq!(
        reply["choices"][0]["message"]["content"],
        "echo: hi you echo: hi"
    );
    assert_eq!(reply["usage"]["completion_tokens"], 5);
}

#[actix_web::test]
async fn usage_false_leaves_usage_out() {
    let server = server().await;
    let reply = chat(&server, ask("dev-chat:usage=false", "hi"))
        .await
        .json();
    assert_eq!(reply["choices"][0]["message"]["content"], "echo: hi");
    assert!(reply.get("usage").is_none(), "{reply}");
}

#[actix_web::test]
async fn missing_or_empty_messages_are_rejected_naming_the_param() {
    let server = server().await;
    for body in [
        json!({"model": "dev-chat"}),
        json!({"model": "dev-chat", "messages": []}),
    ] {
        let reply = chat(&server, body).await;
        assert_eq!(reply.status, 400);
        let error = &reply.json()["error"];
        assert_eq!(error["type"], "invalid_request_error");
        assert_eq!(error["param"], "messages");
    }
}

#[actix_web::test]
async fn an_unknown_model_option_is_rejected() {
    let server = server().await;
    let reply = chat(&server, ask("dev-chat:colour=red", "hi")).await;
    assert_eq!(reply.status, 400);
    let error = &reply.json()["error"];
    assert_eq!(error["param"], "model");
    assert!(error["message"].as_str().unwrap().contains("colour"));
}

#[actix_web::test]
async fn a_body_that_is_not_json_gets_an_openai_error() {
    let server = server().await;
    let url = format!("{}/chat/completions", server.base_url());
    let mut response = client()
        .post(url)
        .insert_header(("content-type", "application/json"))
        .send_body("{nope")
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("line 1"));
}

#[actix_web::test]
async fn models_lists_the_dev_models() {
    let server = server().await;
    let reply = get(&format!("{}/models", server.base_url())).await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["object"], "list");
    let ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["dev-chat", "dev-chat-large", "dev-image"]);
    assert_eq!(body["data"][0]["object"], "model");
    assert_eq!(body["data"][0]["owned_by"], "studio-dev");
}

#[actix_web::test]
async fn unknown_routes_and_wrong_methods_answer_openai_errors() {
    let server = server().await;
    let reply = get(&format!("{}/nothing", server.base_url())).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["error"]["code"], "unknown_url");

    let reply = get(&format!("http://127.0.0.1:{}/elsewhere", server.port)).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["error"]["type"], "invalid_request_error");

    let reply = get(&format!("{}/chat/completions", server.base_url())).await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.json()["error"]["code"], "method_not_allowed");

    let reply = post(&server, "/models", &json!({})).await;
    assert_eq!(reply.status, 405);
}
