use super::*;
use studio_models::{Catalog, Defaults};

fn catalog() -> Catalog {
    let text = r#"
        [[models]]
        id = "pictures"
        type = "image"
        sizes = ["512x512", "256x256"]
        [[models.upstreams]]
        baseUrl = "http://up/v1"
        model = "up-pictures"

        [[models]]
        id = "words"
        type = "chat"
    "#;
    let env = |_: &str| None;
    let defaults = Defaults {
        inference_url: "http://127.0.0.1:1/v1",
        inference_api_key: None,
        env: &env,
    };
    Catalog::parse("models.toml", text, 0, &defaults).unwrap()
}

fn parse(body: serde_json::Value) -> Result<GenerationRequest, ImageError> {
    GenerationRequest::parse(body.to_string().as_bytes(), &catalog())
}

#[test]
fn defaults_are_one_url_image_of_the_first_size() {
    let request = parse(serde_json::json!({"model": "pictures", "prompt": "a fox"})).unwrap();
    assert_eq!(request.n, 1);
    assert_eq!(request.size.to_string(), "512x512");
    assert_eq!(request.response_format, ResponseFormat::Url);
    let upstream: Value = serde_json::from_slice(&request.upstream_body("up-pictures")).unwrap();
    assert_eq!(
        upstream,
        serde_json::json!({"model": "up-pictures", "prompt": "a fox", "n": 1,
            "size": "512x512", "response_format": "b64_json"})
    );
}

#[test]
fn unknown_fields_and_pass_through_fields_reach_the_upstream() {
    let request = parse(
        serde_json::json!({"model": "pictures", "prompt": "p", "n": 2,
        "size": "256x256", "quality": "hd", "style": "vivid", "user": "u-1",
        "response_format": "b64_json", "background": "transparent"}),
    )
    .unwrap();
    assert_eq!(request.response_format, ResponseFormat::B64Json);
    let upstream: Value = serde_json::from_slice(&request.upstream_body("x")).unwrap();
    assert_eq!(upstream["user"], "u-1");
    assert_eq!(upstream["style"], "vivid");
    assert_eq!(upstream["background"], "transparent");
    assert_eq!(upstream["n"], 2);
}

#[test]
fn every_bad_field_is_named() {
    let long = "x".repeat(MAX_PROMPT_CHARS + 1);
    for (body, param) in [
        (serde_json::json!({"model": "pictures"}), "prompt"),
        (
            serde_json::json!({"model": "pictures", "prompt": "  "}),
            "prompt",
        ),
        (
            serde_json::json!({"model": "pictures", "prompt": 5}),
            "prompt",
        ),
        (
            serde_json::json!({"model": "pictures", "prompt": long}),
            "prompt",
        ),
        (serde_json::json!({"prompt": "p"}), "model"),
        (
            serde_json::json!({"prompt": "p", "model": "words"}),
            "model",
        ),
        (serde_json::json!({"prompt": "p", "model": 1}), "model"),
        (
            serde_json::json!({"prompt": "p", "model": "pictures", "n": 0}),
            "n",
        ),
        (
            serde_json::json!({"prompt": "p", "model": "pictures", "n": 11}),
            "n",
        ),
        (
            serde_json::json!({"prompt": "p", "model": "pictures", "n": 1.5}),
            "n",
        ),
        (
            serde_json::json!({"prompt": "p", "model": "pictures", "size": "1024x1024"}),
            "size",
        ),
        (
            serde_json::json!({"prompt": "p", "model": "pictures", "size": "big"}),
            "size",
        ),
        (
            serde_json::json!({"prompt": "p", "model": "pictures", "response_format": "png"}),
            "response_format",
        ),
        (
            serde_json::json!({"prompt": "p", "model": "pictures", "quality": "ultra"}),
            "quality",
        ),
        (
            serde_json::json!({"prompt": "p", "model": "pictures", "style": 3}),
            "style",
        ),
        (
            serde_json::json!({"prompt": "p", "model": "pictures", "user": 3}),
            "user",
        ),
    ] {
        match parse(body.clone()) {
            Err(ImageError::InvalidRequest { param: Some(p), .. }) => {
                assert_eq!(p, param, "{body}")
            }
            Err(other) => panic!("{body}: {other:?}"),
            Ok(_) => panic!("{body}: accepted"),
        }
    }
    assert!(matches!(
        parse(serde_json::json!({"prompt": "p", "model": "nope"})),
        Err(ImageError::ModelNotFound(_))
    ));
    assert!(matches!(
        GenerationRequest::parse(b"[1]", &catalog()),
        Err(ImageError::InvalidRequest { param: None, .. })
    ));
}
