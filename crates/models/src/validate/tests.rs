use super::*;
use crate::{Catalog, ModelCatalog};

fn env(name: &str) -> Option<String> {
    (name == "PRESENT_KEY").then(|| "sk-upstream".to_owned())
}

fn parse(text: &str) -> Result<Catalog, CatalogError> {
    let defaults = Defaults {
        inference_url: "http://127.0.0.1:8001/v1/",
        inference_api_key: Some("default-key"),
        env: &env,
    };
    Catalog::parse("models.toml", text, 42, &defaults)
}

#[test]
fn a_model_without_upstreams_uses_the_inference_service() {
    let catalog = parse(
        r#"
        [[models]]
        id = "small"
        type = "chat"
        contextLength = 4096
        capabilities = ["tools"]
        [models.pricing]
        inputPerMillion = 0.5
        outputPerMillion = 1.5

        [[models]]
        id = "hidden"
        type = "chat"
        enabled = false
        "#,
    )
    .unwrap();
    assert_eq!(catalog.models().len(), 1);
    let model = catalog.model("small").unwrap();
    assert_eq!(model.context_length, 4096);
    assert_eq!(model.created, 42);
    assert_eq!(model.upstreams.len(), 1);
    let upstream = &model.upstreams[0];
    assert_eq!(upstream.base_url, "http://127.0.0.1:8001/v1");
    assert_eq!(upstream.api_key.as_deref(), Some("default-key"));
    assert_eq!(upstream.model, "small");
    assert!(catalog.model("hidden").is_none());
}

#[test]
fn upstream_keys_come_from_the_named_variable() {
    let catalog = parse(
        r#"
        [[models]]
        id = "big"
        type = "chat"
        [[models.upstreams]]
        baseUrl = "https://api.example.com/v1"
        apiKeyEnv = "PRESENT_KEY"
        model = "big-upstream"
        weight = 3
        timeoutSecs = 10
        "#,
    )
    .unwrap();
    let upstream = &catalog.model("big").unwrap().upstreams[0];
    assert_eq!(upstream.api_key.as_deref(), Some("sk-upstream"));
    assert_eq!(
        (upstream.model.as_str(), upstream.weight),
        ("big-upstream", 3)
    );
    assert_eq!(upstream.timeout, Duration::from_secs(10));
}

#[test]
fn every_problem_is_reported_with_file_model_and_field() {
    let error = parse(
        r#"
        [[models]]
        id = "a"
        type = "chat"
        [[models]]
        id = "a"
        type = "audio"
        [[models.upstreams]]
        baseUrl = "not a url"
        apiKeyEnv = "MISSING_KEY"
        "#,
    )
    .err()
    .unwrap();
    let lines = error.problems;
    let expected = [
        "models.toml: model \"a\": id: duplicate id",
        "models.toml: model \"a\": type: unknown type \"audio\"",
        "models.toml: model \"a\": upstreams[0].baseUrl:",
        "models.toml: model \"a\": upstreams[0].apiKeyEnv: environment variable MISSING_KEY is not set",
    ];
    for prefix in expected {
        assert!(
            lines.iter().any(|l| l.starts_with(prefix)),
            "{prefix} not in {lines:?}"
        );
    }
}

#[test]
fn syntax_errors_and_unknown_fields_name_the_file() {
    let error = parse("[[models]]\nid = \"a\"\ntype = \"chat\"\ncolour = 1\n")
        .err()
        .unwrap();
    assert!(error.problems[0].starts_with("models.toml: "));
    assert!(error.problems[0].contains("colour"));
    assert!(parse("[[models]\n").is_err());
}

#[test]
fn the_shipped_catalog_is_valid() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/models.toml");
    let defaults = Defaults {
        inference_url: "http://127.0.0.1:8001/v1",
        inference_api_key: None,
        env: &|_| None,
    };
    let catalog = Catalog::load(std::path::Path::new(path), &defaults).unwrap();
    assert!(
        catalog
            .models()
            .iter()
            .filter(|m| m.kind == ModelKind::Chat)
            .count()
            >= 2
    );
    assert!(catalog.models().iter().any(|m| m.kind == ModelKind::Image));
}

#[test]
fn image_models_list_their_sizes_and_chat_models_have_none() {
    let catalog = parse(
        r#"
        [[models]]
        id = "pictures"
        type = "image"
        sizes = ["512x512", "1024x768"]

        [[models]]
        id = "words"
        type = "chat"
        "#,
    )
    .unwrap();
    let sizes: Vec<String> = catalog
        .image_sizes("pictures")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(sizes, vec!["512x512", "1024x768"]);
    assert!(catalog.image_sizes("words").is_empty());
    assert!(catalog.image_sizes("missing").is_empty());

    let problems = parse(
        r#"
        [[models]]
        id = "nosizes"
        type = "image"

        [[models]]
        id = "bad"
        type = "image"
        sizes = ["1024", "0x5", "9000x10", "64x64", "64x64"]

        [[models]]
        id = "chatty"
        type = "chat"
        sizes = ["64x64"]
        "#,
    )
    .err()
    .unwrap()
    .problems;
    let fields: Vec<&str> = problems
        .iter()
        .map(|p| p.split(": ").nth(2).unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["sizes", "sizes[0]", "sizes[1]", "sizes[2]", "sizes[4]", "sizes"],
        "{problems:?}"
    );
}
