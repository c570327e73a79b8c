use studio_models::{Catalog, Model, ModelKind, Upstream};

use super::*;

fn catalog() -> Catalog {
    let model = |id: &str, kind| Model {
        id: id.into(),
        name: id.into(),
        description: String::new(),
        kind,
        context_length: 4096,
        max_output_tokens: 100,
        capabilities: vec![],
        pricing: None,
        enabled: true,
        owned_by: "studio".into(),
        created: 0,
        upstreams: vec![Upstream {
            base_url: "http://127.0.0.1:1/v1".into(),
            api_key: None,
            model: "up".into(),
            weight: 1,
            timeout: std::time::Duration::from_secs(1),
            connect_timeout: std::time::Duration::from_secs(1),
            first_token_timeout: std::time::Duration::from_secs(1),
            idle_timeout: std::time::Duration::from_secs(1),
        }],
    };
    Catalog::from_models(vec![
        model("chat", ModelKind::Chat),
        model("img", ModelKind::Image),
    ])
}

fn parse(json: &str) -> Result<ChatRequest, ChatError> {
    ChatRequest::parse(Bytes::from(json.to_owned()), &catalog())
}

fn param_of(error: ChatError) -> Option<String> {
    match error {
        ChatError::InvalidRequest { param, .. } => param,
        _ => None,
    }
}

#[test]
fn unknown_fields_pass_through_and_the_model_is_mapped() {
    let request = parse(r#"{"model":"chat","messages":[{"role":"user","content":"hi"}],"seed":7,"tools":[{"type":"function"}]}"#).unwrap();
    let body: serde_json::Value =
        serde_json::from_slice(&request.upstream_body("upstream-name")).unwrap();
    assert_eq!(body["model"], "upstream-name");
    assert_eq!(body["seed"], 7);
    assert_eq!(body["tools"][0]["type"], "function");
    assert!(body.get("stream_options").is_none());
}

#[test]
fn streams_always_ask_the_upstream_for_usage() {
    let request = parse(r#"{"model":"chat","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"x":1}}"#).unwrap();
    assert!(request.stream && !request.client_wants_usage);
    let body: serde_json::Value = serde_json::from_slice(&request.upstream_body("up")).unwrap();
    assert_eq!(
        body["stream_options"],
        serde_json::json!({"include_usage": true, "x": 1})
    );
}

#[test]
fn null_stream_options_are_replaced_not_duplicated() {
    let request = parse(
        r#"{"model":"chat","stream":true,"stream_options": null,"messages":[{"role":"user","content":"hi"}]}"#,
    )
    .unwrap();
    assert!(!request.client_wants_usage);
    let body = request.upstream_body("up");
    let text = std::str::from_utf8(&body).unwrap();
    assert_eq!(text.matches("stream_options").count(), 1, "{text}");
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        body["stream_options"],
        serde_json::json!({"include_usage": true})
    );
}

#[test]
fn each_rule_names_its_parameter() {
    let cases = [
        (r#"{"messages":[{"role":"user","content":"x"}]}"#, "model"),
        (
            r#"{"model":"img","messages":[{"role":"user","content":"x"}]}"#,
            "model",
        ),
        (r#"{"model":"chat"}"#, "messages"),
        (r#"{"model":"chat","messages":[]}"#, "messages"),
        (
            r#"{"model":"chat","messages":[{"role":"wizard","content":"x"}]}"#,
            "messages[0].role",
        ),
        (
            r#"{"model":"chat","messages":[{"role":"user"}],"max_tokens":101}"#,
            "max_tokens",
        ),
        (
            r#"{"model":"chat","messages":[{"role":"user"}],"max_completion_tokens":0}"#,
            "max_completion_tokens",
        ),
        (
            r#"{"model":"chat","messages":[{"role":"user"}],"temperature":3}"#,
            "temperature",
        ),
        (
            r#"{"model":"chat","messages":[{"role":"user"}],"top_p":"high"}"#,
            "top_p",
        ),
        (
            r#"{"model":"chat","messages":[{"role":"user"}],"stream":"yes"}"#,
            "stream",
        ),
    ];
    for (json, param) in cases {
        assert_eq!(
            param_of(parse(json).err().unwrap()).as_deref(),
            Some(param),
            "{json}"
        );
    }
    assert!(matches!(
        parse(r#"{"model":"nope","messages":[]}"#),
        Err(ChatError::ModelNotFound(_))
    ));
    assert!(parse("[1,2]").is_err());
}
