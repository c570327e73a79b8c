//! `POST /v1/images/generations`: the OpenAI contract, validation and upstream failures.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde_json::json;
use studio_tests::{
    access_token, api_key, db_test,
    images::{gateway_with_images, media_files},
    TestDb,
};

use super::{ask, generate, hex_sha256};

#[db_test]
async fn b64_json_images_are_checked_stored_and_accounted(db: TestDb) {
    let (app, _up) = gateway_with_images(&db, &[]).await;
    let token = access_token(&app, "ada@example.com").await;
    let key = api_key(&app, &token).await;
    let mut body = ask("image", "b64_json");
    body["n"] = json!(2);
    body["size"] = json!("512x512");
    body["user"] = json!("end-user-7");
    let reply = generate(&app, &key, &body).await;
    assert!(reply["created"].as_i64().unwrap() > 1_700_000_000);
    let data = reply["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    let mut names = Vec::new();
    for image in data {
        assert!(image.get("url").is_none());
        assert_eq!(image["revised_prompt"], "a lighthouse at dusk");
        let png = STANDARD
            .decode(image["b64_json"].as_str().unwrap())
            .unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // Stored under the digest of exactly the bytes returned.
        names.push(format!("{}.png", hex_sha256(&png)));
    }
    names.sort();
    assert_eq!(media_files(&db, "images"), names);
    // Larger than the thumbnail square: each gets a JPEG thumbnail.
    assert_eq!(media_files(&db, "thumbs").len(), 2);
    let records = studio_tests::usage_records(&db, 1).await;
    let record = records.iter().find(|r| r.kind == "image").unwrap();
    assert_eq!((record.model.as_str(), record.status), ("image", 200));
    assert!(record.api_key_id.is_some() && !record.cancelled && !record.stream);
    assert_eq!(records.len(), 1, "one record per generation");
    assert_eq!(record.images, 2, "the record counts the images returned");
    let report = app.get_auth("/api/usage", &token).await.expect(200);
    assert_eq!(report["totals"]["images"], 2);
    assert_eq!(report["byModel"][0]["images"], 2);
}

#[db_test]
async fn a_jwt_works_too_and_the_default_is_one_url_image_of_the_first_size(db: TestDb) {
    let (app, _up) = gateway_with_images(&db, &[]).await;
    let token = access_token(&app, "ada@example.com").await;
    let reply = generate(&app, &token, &json!({"model": "image", "prompt": "a fox"})).await;
    let data = reply["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert!(data[0].get("b64_json").is_none());
    let url = data[0]["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/media/images/", app.base_url)),
        "{url}"
    );
    let gallery = app.get_auth("/api/images", &token).await.expect(200);
    assert_eq!(gallery["data"][0]["size"], "256x256");
    assert_eq!(gallery["data"][0]["width"], 256);
}

#[db_test]
async fn every_invalid_field_is_a_400_naming_it(db: TestDb) {
    let (app, _up) = gateway_with_images(&db, &[]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    let long = "x".repeat(4001);
    for (body, param) in [
        (json!({"model": "image"}), "prompt"),
        (json!({"model": "image", "prompt": ""}), "prompt"),
        (json!({"model": "image", "prompt": long}), "prompt"),
        (json!({"model": "image", "prompt": ["a"]}), "prompt"),
        (json!({"prompt": "p"}), "model"),
        (json!({"model": "chat", "prompt": "p"}), "model"),
        (json!({"model": "image", "prompt": "p", "n": 0}), "n"),
        (json!({"model": "image", "prompt": "p", "n": 11}), "n"),
        (
            json!({"model": "image", "prompt": "p", "size": "1024x1024"}),
            "size",
        ),
        (
            json!({"model": "image", "prompt": "p", "size": "256"}),
            "size",
        ),
        (
            json!({"model": "image", "prompt": "p", "response_format": "png"}),
            "response_format",
        ),
        (
            json!({"model": "image", "prompt": "p", "quality": "best"}),
            "quality",
        ),
        (
            json!({"model": "image", "prompt": "p", "style": "baroque"}),
            "style",
        ),
        (json!({"model": "image", "prompt": "p", "user": 42}), "user"),
    ] {
        let error = app
            .post_auth("/v1/images/generations", &key, &body)
            .await
            .expect_openai_error(400);
        assert_eq!(error["error"]["param"], param, "{body}");
        assert_eq!(error["error"]["type"], "invalid_request_error");
    }
    let missing = app
        .post_auth(
            "/v1/images/generations",
            &key,
            &json!({"model": "dall-e-9", "prompt": "p"}),
        )
        .await
        .expect_openai_error(404);
    assert_eq!(missing["error"]["code"], "model_not_found");
    let not_json = app
        .client
        .post(app.url("/v1/images/generations"))
        .bearer_auth(&key)
        .insert_header(("content-type", "text/plain"))
        .send_body(ask("image", "url").to_string())
        .await
        .unwrap();
    assert_eq!(not_json.status(), 415);
    app.post("/v1/images/generations", &ask("image", "url"))
        .await
        .expect_openai_error(401);
    assert!(media_files(&db, "images").is_empty());
}

#[db_test]
async fn upstream_failures_map_as_they_do_for_chat(db: TestDb) {
    let (app, up) = gateway_with_images(&db, &[]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    let status = |model: &'static str| {
        let app = &app;
        let key = &key;
        async move {
            app.post_auth("/v1/images/generations", key, &ask(model, "url"))
                .await
        }
    };
    let refused = status("image-fails-400").await.expect_openai_error(400);
    assert_eq!(refused["error"]["code"], "injected_bad_request");
    let limited = status("image-fails-429").await;
    assert_eq!(limited.status, 429);
    assert!(limited.header("retry-after").is_some());
    status("image-fails-500").await.expect_openai_error(502);
    let unreachable = status("image-refused").await.expect_openai_error(502);
    assert_eq!(unreachable["error"]["code"], "upstream_unavailable");
    let timeout = status("image-stalls").await.expect_openai_error(504);
    assert_eq!(timeout["error"]["code"], "upstream_timeout");
    let before = up.stats.snapshot().image_requests;
    status("image-retry-500").await.expect(200);
    assert_eq!(
        up.stats.snapshot().image_requests - before,
        2,
        "the 500 was retried on the other upstream"
    );
    assert_eq!(media_files(&db, "images").len(), 1);
}

#[db_test]
async fn an_upstream_url_is_fetched_checked_and_stored(db: TestDb) {
    let (app, _up) = gateway_with_images(&db, &[]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    let reply = generate(&app, &key, &ask("image-url", "b64_json")).await;
    let png = STANDARD
        .decode(reply["data"][0]["b64_json"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        media_files(&db, "images"),
        vec![format!("{}.png", hex_sha256(&png))]
    );
}

#[db_test]
async fn an_upstream_that_returns_no_decodable_image_is_a_502_and_nothing_is_stored(db: TestDb) {
    let (app, _up) = gateway_with_images(&db, &[]).await;
    let token = access_token(&app, "ada@example.com").await;
    for (model, says) in [
        ("image-corrupt-bytes", "not a PNG, JPEG or WebP"),
        ("image-corrupt-truncated", "broken png"),
        ("image-corrupt-base64", "not valid base64"),
        ("image-corrupt-bomb", "larger than Studio accepts"),
    ] {
        let mut body = ask(model, "url");
        body["n"] = json!(2);
        let error = app
            .post_auth("/v1/images/generations", &token, &body)
            .await
            .expect_openai_error(502);
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{model}: {message}");
    }
    assert!(media_files(&db, "images").is_empty());
    assert!(media_files(&db, "thumbs").is_empty());
    let gallery = app.get_auth("/api/images", &token).await.expect(200);
    assert_eq!(gallery["data"], json!([]));
    let records = studio_tests::usage_records(&db, 4).await;
    assert_eq!(records.len(), 4);
    assert!(records.iter().all(|r| r.status == 502 && r.kind == "image"));
}

#[db_test]
async fn a_storage_failure_is_a_503_and_nothing_is_half_written(db: TestDb) {
    let (app, _up) = gateway_with_images(&db, &[]).await;
    let token = access_token(&app, "ada@example.com").await;
    // The full images can be written, the thumbnails cannot: the first write succeeds and
    // must be undone.
    let media = db.dir().join("media");
    std::fs::create_dir_all(&media).unwrap();
    std::fs::write(media.join("thumbs"), b"a file where a folder should be").unwrap();
    let mut body = ask("image", "url");
    body["n"] = json!(2);
    body["size"] = json!("512x512");
    let error = app
        .post_auth("/v1/images/generations", &token, &body)
        .await
        .expect_openai_error(503);
    assert_eq!(error["error"]["code"], "storage_unavailable");
    assert!(
        !error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("media"),
        "no path in the message"
    );
    assert!(media_files(&db, "images").is_empty(), "no orphan file");
    let gallery = app.get_auth("/api/images", &token).await.expect(200);
    assert_eq!(gallery["data"], json!([]), "no row without a file");
    std::fs::remove_file(media.join("thumbs")).unwrap();
    generate(&app, &token, &body).await;
    assert_eq!(media_files(&db, "images").len(), 2);
}

#[db_test]
async fn a_client_that_goes_away_cancels_the_upstream_request(db: TestDb) {
    use std::io::Write;
    let (app, up) = gateway_with_images(&db, &[]).await;
    let key = api_key(&app, &access_token(&app, "ada@example.com").await).await;
    let body = ask("image-slow", "url").to_string();
    let address = app.base_url.trim_start_matches("http://").to_owned();
    let mut socket = std::net::TcpStream::connect(&address).unwrap();
    write!(
        socket,
        "POST /v1/images/generations HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let started = std::time::Instant::now();
    while up.stats.snapshot().image_requests == 0 {
        assert!(
            started.elapsed().as_secs() < 3,
            "the request never reached the upstream"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // Closing our side (FIN) is how clients usually go away.
    socket.shutdown(std::net::Shutdown::Write).unwrap();
    let started = std::time::Instant::now();
    while up.stats.snapshot().abandoned == 0 {
        assert!(
            started.elapsed().as_millis() < 2000,
            "the upstream request was not cancelled"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let records = studio_tests::usage_records(&db, 1).await;
    let record = records.iter().find(|r| r.model == "image-slow").unwrap();
    assert!(record.cancelled);
    assert_eq!(record.status, 499);
}
