//! Every route the gateway registers is in the OpenAPI document, and every operation of the
//! document reaches a handler: read from the routing code both ways, then checked live.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use actix_web::http::Method;
use studio_tests::{db_test, TestApp, TestDb};

use super::openapi::{generated, METHODS};

/// Registered but not part of the API: the docs page (HTML) and the signed media files (their
/// path is `MEDIA_URL`'s, configurable, and they take a signature instead of credentials).
const NOT_DOCUMENTED: &[&str] = &["/docs", "/docs/{file}"];

fn files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// `{id:.+}` (an actix pattern) is `{id}` in OpenAPI.
fn template(path: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for c in path.chars() {
        match c {
            ':' if out.rfind('{') > out.rfind('}') => skipping = true,
            '}' => {
                skipping = false;
                out.push(c);
            }
            _ if skipping => {}
            _ => out.push(c),
        }
    }
    out
}

fn literal_after<'a>(text: &'a str, call: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(call)?.strip_prefix('"')?;
    rest.split('"').next()
}

/// `(METHOD, path)` of every `web::resource("…")` and its `.route(web::get()…)`s in the
/// gateway's routing code, with its scope's prefix.
fn registered() -> BTreeSet<(String, String)> {
    let gateway = Path::new(env!("CARGO_MANIFEST_DIR")).join("../gateway/src");
    let mut sources = Vec::new();
    files(&gateway.join("routes"), &mut sources);
    files(&gateway.join("openapi"), &mut sources);
    let mut found = BTreeSet::new();
    for file in sources {
        let text = std::fs::read_to_string(&file).unwrap();
        let nested_admin = file.parent().is_some_and(|p| p.ends_with("routes/admin"));
        let scope = text
            .match_indices("web::scope(")
            .find_map(|(at, call)| literal_after(&text[at..], call))
            .filter(|_| !nested_admin);
        let prefix = if nested_admin {
            Some("/api/admin")
        } else {
            scope
        };
        let starts: Vec<usize> = text
            .match_indices("web::resource(")
            .map(|(at, _)| at)
            .collect();
        for (i, &at) in starts.iter().enumerate() {
            let Some(path) = literal_after(&text[at..], "web::resource(") else {
                continue; // computed (the media files under MEDIA_URL)
            };
            let full = match prefix {
                Some(prefix) if !path.starts_with("/api") && !path.starts_with("/v1") => {
                    format!("{prefix}{path}")
                }
                _ => path.to_owned(),
            };
            let end = starts.get(i + 1).copied().unwrap_or(text.len());
            let chunk = &text[at..end];
            let chunk = chunk.split("\n}").next().unwrap_or(chunk);
            for method in METHODS {
                if chunk.contains(&format!("web::{method}()")) {
                    found.insert((method.to_uppercase(), template(&full)));
                }
            }
        }
    }
    found
}

fn documented() -> BTreeSet<(String, String)> {
    let doc = generated();
    let mut found = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            found.insert((method.to_uppercase(), path.clone()));
        }
    }
    found
}

#[test]
fn every_registered_route_is_documented_and_nothing_else() {
    let registered: BTreeSet<_> = registered()
        .into_iter()
        .filter(|(_, path)| !NOT_DOCUMENTED.contains(&path.as_str()))
        .collect();
    let documented = documented();
    assert!(registered.len() > 40, "the scan found only {registered:?}");
    let missing: Vec<_> = registered.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routed but not in the document: {missing:?}"
    );
    let extra: Vec<_> = documented.difference(&registered).collect();
    assert!(
        extra.is_empty(),
        "in the document but not routed: {extra:?}"
    );
}

/// The router's own 404 and 405 (not a handler's "no such session").
fn routed(response: &studio_tests::TestResponse) -> bool {
    let status = response.status.as_u16();
    let message = response.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    status != 405 && !(status == 404 && message.starts_with("no such endpoint"))
}

#[db_test]
async fn every_documented_operation_reaches_a_handler_and_no_other_method_does(db: TestDb) {
    // With a metrics token, `/metrics` is served on the main listener (it is 404 otherwise).
    let token = ("STUDIO_METRICS_TOKEN", "a metrics token, 16+ bytes");
    let app = TestApp::spawn_with(&db, &[token]).await;
    let doc = generated();
    for (path, item) in doc["paths"].as_object().unwrap() {
        // Path parameters filled with a value that names nothing.
        let concrete: String = path
            .split('/')
            .map(|part| {
                if part.starts_with('{') {
                    "nothing-here"
                } else {
                    part
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let operations = item.as_object().unwrap();
        for method in ["get", "post", "put", "patch", "delete"] {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app.request(m, &concrete, &[], None).await;
            let what = format!("{} {concrete}", method.to_uppercase());
            if operations.contains_key(method) {
                assert!(
                    routed(&response),
                    "{what} is documented but not routed: {response:?}"
                );
            } else {
                assert!(!routed(&response), "{what} is routed but not documented");
            }
        }
    }
}
