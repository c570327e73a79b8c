//! The S3 storage against a real S3-compatible server (moto), and S3 being down.

use studio_tests::{
    access_token, db_test,
    images::{gateway_with_images, media_files, Moto},
    upstream::refused_url,
    TestDb,
};

use super::{ask, generate, hex_sha256, path_of};

const BUCKET: &str = "studio-images";

#[db_test]
async fn images_are_stored_served_and_deleted_in_s3(db: TestDb) {
    let Some(moto) = Moto::start(BUCKET).await else {
        return;
    };
    let (app, _up) = gateway_with_images(
        &db,
        &[
            ("STUDIO_S3_BUCKET", BUCKET),
            ("STUDIO_S3_ENDPOINT", &moto.endpoint),
            ("STUDIO_S3_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ],
    )
    .await;
    let token = access_token(&app, "ada@example.com").await;
    let reply = generate(&app, &token, &ask("image", "url")).await;
    let path = path_of(reply["data"][0]["url"].as_str().unwrap());
    let file = app.get(&path).await;
    assert_eq!(file.status, 200);
    assert_eq!(&file.body[..8], b"\x89PNG\r\n\x1a\n");
    let part = app
        .request(
            actix_web::http::Method::GET,
            &path,
            &[("range", "bytes=1-3")],
            None,
        )
        .await;
    assert_eq!((part.status.as_u16(), &part.body[..]), (206, &b"PNG"[..]));
    assert!(
        media_files(&db, "images").is_empty(),
        "nothing on the local disk"
    );
    // The object is really in the bucket, under its digest.
    let digest = hex_sha256(&file.body);
    let object = format!("{}/{BUCKET}/images/{digest}.png", moto.endpoint);
    // moto refuses anonymous reads of private objects but does not check signatures.
    let read = || {
        app.client.get(&object).insert_header((
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
        ))
    };
    let mut stored = read().send().await.unwrap();
    let status = stored.status();
    let content = stored.body().await.unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&content));
    assert_eq!(content, file.body);

    let page = app.get_auth("/api/images", &token).await.expect(200);
    let id = page["data"][0]["id"].as_str().unwrap();
    app.send_auth(
        actix_web::http::Method::DELETE,
        &format!("/api/images/{id}"),
        &token,
        None,
    )
    .await
    .expect(204);
    app.get(&path).await.expect_api_error(404, "not_found");
    assert_eq!(read().send().await.unwrap().status(), 404);
}

#[db_test]
async fn s3_being_down_is_a_503_with_nothing_kept(db: TestDb) {
    let down = refused_url().trim_end_matches("/v1").to_owned();
    let (app, _up) = gateway_with_images(
        &db,
        &[
            ("STUDIO_S3_BUCKET", BUCKET),
            ("STUDIO_S3_ENDPOINT", &down),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ],
    )
    .await;
    let token = access_token(&app, "ada@example.com").await;
    let error = app
        .post_auth("/v1/images/generations", &token, &ask("image", "url"))
        .await
        .expect_openai_error(503);
    assert_eq!(error["error"]["code"], "storage_unavailable");
    let gallery = app.get_auth("/api/images", &token).await.expect(200);
    assert_eq!(gallery["data"], serde_json::json!([]));
}
