//! The OpenAPI document: the checked-in copy matches the code, it is structurally valid
//! OpenAPI 3.1, it is served without credentials, and the docs page is served from Studio only.

use std::path::Path;

use serde_json::Value;
use studio_gateway::openapi::{document, to_json};
use studio_tests::{db_test, TestApp, TestDb};

pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

pub fn generated() -> Value {
    serde_json::from_str(&to_json(&document())).unwrap()
}

fn checked_in_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json")
}

#[test]
fn the_checked_in_document_matches_the_code() {
    let expected = to_json(&document());
    let actual = std::fs::read_to_string(checked_in_path()).unwrap_or_default();
    if actual != expected {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "docs/openapi.json is out of date (first difference at line {}): \
             run `cargo xtask openapi` and commit the result",
            line + 1
        );
    }
}

/// Follows a local `$ref` (`#/components/schemas/User`).
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    doc.pointer(pointer)
}

fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                match (key.as_str(), item) {
                    ("$ref", Value::String(target)) => found.push(target),
                    _ => refs(item, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
        _ => {}
    }
}

#[test]
fn the_document_is_structurally_valid_openapi_3_1() {
    let doc = generated();
    let version = doc["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "openapi is {version}");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    assert_eq!(
        doc["servers"][0]["url"], "/",
        "Try it out must call the page's origin"
    );
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() > 40, "only {} paths", paths.len());
    let mut operation_ids = std::collections::BTreeSet::new();
    for (path, item) in paths {
        assert!(path.starts_with('/'), "{path}");
        for (method, operation) in item.as_object().unwrap() {
            assert!(METHODS.contains(&method.as_str()), "{method} {path}");
            let what = format!("{} {path}", method.to_uppercase());
            let responses = operation["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{what} has no responses");
            for (status, response) in responses {
                assert!(
                    status == "default"
                        || status.parse::<u16>().is_ok_and(|s| (100..600).contains(&s)),
                    "{what}: response key {status}"
                );
                let response = match response["$ref"].as_str() {
                    Some(target) => resolve(&doc, target).unwrap(),
                    None => response,
                };
                assert!(
                    response["description"].is_string(),
                    "{what} {status}: no description"
                );
            }
            if let Some(id) = operation["operationId"].as_str() {
                assert!(
                    operation_ids.insert(id.to_owned()),
                    "operationId {id} twice"
                );
            }
            // Every `{name}` of the template is a declared path parameter.
            let declared: Vec<&str> = operation["parameters"]
                .as_array()
                .map(|params| {
                    params
                        .iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            for name in path
                .split('{')
                .skip(1)
                .filter_map(|rest| rest.split('}').next())
            {
                assert!(
                    declared.contains(&name),
                    "{what}: path parameter {name} undeclared"
                );
            }
            for requirement in operation["security"].as_array().into_iter().flatten() {
                for scheme in requirement.as_object().unwrap().keys() {
                    assert!(
                        schemes.contains_key(scheme),
                        "{what}: unknown scheme {scheme}"
                    );
                }
            }
        }
    }
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for target in found {
        assert!(
            resolve(&doc, target).is_some(),
            "$ref {target} does not resolve"
        );
    }
}

#[test]
fn both_error_bodies_and_both_credentials_are_described() {
    let doc = generated();
    let schemas = &doc["components"]["schemas"];
    let api = &schemas["ApiErrorBody"]["properties"]["error"];
    assert_eq!(api["required"], serde_json::json!(["code", "message"]));
    assert!(api["properties"]["details"].is_object());
    let openai = &schemas["OpenAiErrorBody"]["properties"]["error"];
    for field in ["message", "type", "param", "code"] {
        assert!(
            openai["properties"][field].is_object(),
            "OpenAI error has no {field}"
        );
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["jwt"]["scheme"], "bearer");
    assert_eq!(schemes["apiKey"]["scheme"], "bearer");
    // camelCase on /api, OpenAI's own names on /v1.
    assert!(schemas["AuthResponse"]["properties"]["accessToken"].is_object());
    assert!(schemas["OpenAiModel"]["properties"]["owned_by"].is_object());
    let chat = &doc["paths"]["/v1/chat/completions"]["post"];
    assert!(chat["responses"]["200"]["content"]["text/event-stream"].is_object());
    assert_eq!(
        schemas["ChatCompletionRequest"]["additionalProperties"],
        true
    );
}

#[db_test]
async fn the_document_is_served_without_credentials(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let served = app.get("/api/openapi.json").await.expect(200);
    assert_eq!(served, generated());
    let on_disk: Value =
        serde_json::from_str(&std::fs::read_to_string(checked_in_path()).unwrap()).unwrap();
    assert_eq!(served, on_disk, "run `cargo xtask openapi`");
}

#[db_test]
async fn the_docs_page_is_served_by_studio_alone(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let redirect = app.get("/docs").await;
    assert_eq!(redirect.status.as_u16(), 302);
    assert_eq!(redirect.header("location"), Some("/docs/"));
    let page = app.get("/docs/").await;
    assert_eq!(page.status.as_u16(), 200);
    let csp = page.header("content-security-policy").unwrap().to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("http"), "the CSP names another origin: {csp}");
    let html = page.text();
    for asset in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-initializer.js",
    ] {
        assert!(html.contains(asset), "the page does not load {asset}");
        let file = app.get(&format!("/docs/{asset}")).await;
        assert_eq!(file.status.as_u16(), 200, "{asset}");
        let text = file.text();
        // Scripts and styles may mention URLs (licences, specs) but never load one.
        for load in [
            "src=\"http",
            "href=\"http",
            "@import",
            "url(http",
            "url(\"http",
        ] {
            assert!(
                !text.contains(load),
                "{asset} loads from elsewhere ({load})"
            );
        }
    }
    let init = app.get("/docs/swagger-initializer.js").await.text();
    assert!(init.contains("\"/api/openapi.json\""), "{init}");
    assert!(init.contains("\"validatorUrl\": \"none\""), "{init}");
    app.get("/docs/nope.js")
        .await
        .expect_api_error(404, "not_found");
}
