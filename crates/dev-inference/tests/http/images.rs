//! Image generation: real PNGs, inline or by URL.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::json;

use crate::support::{get, post, server};

/// Width and height from the IHDR chunk, after checking the PNG signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (width, height)
}

#[actix_web::test]
async fn b64_images_decode_to_pngs_of_the_requested_size() {
    let server = server().await;
    let reply = post(
        &server,
        "/images/generations",
        &json!({"prompt": "a red fox", "n": 2, "size": "128x64"}),
    )
    .await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert!(body["created"].is_u64());
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    let mut pngs = Vec::new();
    for image in data {
        assert_eq!(image["revised_prompt"], "a red fox");
        assert!(image.get("url").is_none());
        let png = STANDARD
            .decode(image["b64_json"].as_str().unwrap())
            .unwrap();
        assert_eq!(png_size(&png), (128, 64));
        pngs.push(png);
    }
    assert_ne!(pngs[0], pngs[1], "each image of a request differs");
    assert_eq!(server.stats.snapshot().image_requests, 1);
}

#[actix_web::test]
async fn the_default_size_is_256_square() {
    let server = server().await;
    let body = post(
        &server,
        "/images/generations",
        &json!({"prompt": "p", "model": "dev-image"}),
    )
    .await
    .json();
    let png = STANDARD
        .decode(body["data"][0]["b64_json"].as_str().unwrap())
        .unwrap();
    assert_eq!(png_size(&png), (256, 256));
}

#[actix_web::test]
async fn url_images_are_served_back_as_png() {
    let server = server().await;
    let body = post(
        &server,
        "/images/generations",
        &json!({"prompt": "a fox", "size": "64x96", "response_format": "url"}),
    )
    .await
    .json();
    let url = body["data"][0]["url"].as_str().unwrap();
    let origin = format!("http://127.0.0.1:{}/images/", server.port);
    assert!(url.starts_with(&origin) && url.ends_with(".png"), "{url}");
    assert!(body["data"][0].get("b64_json").is_none());

    let image = get(url).await;
    assert_eq!(image.status, 200);
    assert_eq!(image.headers.get("content-type").unwrap(), "image/png");
    assert_eq!(png_size(&image.body), (64, 96));

    let missing = get(&format!("{origin}not-an-image.png")).await;
    assert_eq!(missing.status, 404);
}

#[actix_web::test]
async fn bad_image_requests_name_the_param() {
    let server = server().await;
    for (body, param) in [
        (json!({"size": "64x64"}), "prompt"),
        (json!({"prompt": "p", "size": "2048x64"}), "size"),
        (json!({"prompt": "p", "n": 11}), "n"),
        (
            json!({"prompt": "p", "response_format": "webp"}),
            "response_format",
        ),
        (json!({"prompt": "p", "model": "dev-image:nope=1"}), "model"),
    ] {
        let reply = post(&server, "/images/generations", &body).await;
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.json()["error"]["param"], param);
    }
}

#[actix_web::test]
async fn model_failures_apply_to_images() {
    let server = server().await;
    let reply = post(
        &server,
        "/images/generations",
        &json!({"prompt": "p", "model": "dev-image:fail=503"}),
    )
    .await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.json()["error"]["type"], "server_error");
}

#[actix_web::test]
async fn image_fault_modes_answer_a_url_or_something_broken() {
    let server = server().await;
    let ask = |model: &str| json!({"prompt": "p", "size": "64x64", "model": model, "response_format": "b64_json"});
    let url = post(&server, "/images/generations", &ask("dev-image:reply=url"))
        .await
        .json();
    assert!(url["data"][0].get("b64_json").is_none());
    assert!(url["data"][0]["url"].as_str().unwrap().ends_with(".png"));
    let b64 = |body: serde_json::Value| body["data"][0]["b64_json"].as_str().unwrap().to_owned();
    let garbage = STANDARD
        .decode(b64(post(
            &server,
            "/images/generations",
            &ask("dev-image:corrupt=bytes"),
        )
        .await
        .json()))
        .unwrap();
    assert!(!garbage.starts_with(b"\x89PNG"));
    let truncated = STANDARD
        .decode(b64(post(
            &server,
            "/images/generations",
            &ask("dev-image:corrupt=truncated"),
        )
        .await
        .json()))
        .unwrap();
    assert!(truncated.starts_with(b"\x89PNG") && !truncated.ends_with(b"IEND\xaeB`\x82"));
    let bomb = STANDARD
        .decode(b64(post(
            &server,
            "/images/generations",
            &ask("dev-image:corrupt=bomb"),
        )
        .await
        .json()))
        .unwrap();
    assert_eq!(png_size(&bomb), (100_000, 100_000));
    let not_base64 = b64(post(
        &server,
        "/images/generations",
        &ask("dev-image:corrupt=base64"),
    )
    .await
    .json());
    assert!(STANDARD.decode(not_base64).is_err());
    let started = std::time::Instant::now();
    let delayed = post(&server, "/images/generations", &ask("dev-image:delay=150")).await;
    assert_eq!(delayed.status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));
}
