//! Image generation through the gateway against the dev inference server: validation,
//! upstream failures, checking and storing every image, signed URLs, the gallery, deletion,
//! cancellation, usage, and S3 storage against a real (moto) server.

mod gallery;
mod generation;
mod media;
mod s3;

use serde_json::{json, Value};
use studio_tests::TestApp;

fn ask(model: &str, format: &str) -> Value {
    json!({"model": model, "prompt": "a lighthouse at dusk", "size": "256x256", "response_format": format})
}

/// Generates with `token` and returns the 200 body.
async fn generate(app: &TestApp, token: &str, body: &Value) -> Value {
    app.post_auth("/v1/images/generations", token, body)
        .await
        .expect(200)
}

/// The path and query of an absolute URL the gateway handed out.
fn path_of(url: &str) -> String {
    let parsed = url::Url::parse(url).unwrap();
    format!("{}?{}", parsed.path(), parsed.query().unwrap_or_default())
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
