//! Files behind signed URLs: no credentials needed, the right headers, Range and ETag, 403
//! for a tampered, foreign or expired link, and no way to reach another path.

use studio_tests::{access_token, db_test, images::gateway_with_images, TestDb};

use super::{ask, generate, hex_sha256, path_of};

#[db_test]
async fn a_url_works_without_credentials_with_the_right_headers_range_and_etag(db: TestDb) {
    let (app, _up) = gateway_with_images(&db, &[]).await;
    let token = access_token(&app, "ada@example.com").await;
    let reply = generate(&app, &token, &ask("image", "url")).await;
    let path = path_of(reply["data"][0]["url"].as_str().unwrap());
    let file = app.get(&path).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.header("content-type"), Some("image/png"));
    assert_eq!(file.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(file.header("accept-ranges"), Some("bytes"));
    let cache = file.header("cache-control").unwrap();
    assert!(cache.starts_with("private, max-age="), "{cache}");
    let max_age: i64 = cache
        .trim_start_matches("private, max-age=")
        .parse()
        .unwrap();
    assert!(
        (3500..=3600).contains(&max_age),
        "60 minutes by default: {max_age}"
    );
    assert_eq!(&file.body[..8], b"\x89PNG\r\n\x1a\n");
    let etag = file.header("etag").unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", hex_sha256(&file.body)));

    let get = |headers: Vec<(&'static str, String)>| {
        let app = &app;
        let path = path.clone();
        async move {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.request(actix_web::http::Method::GET, &path, &headers, None)
                .await
        }
    };
    let head = app
        .request(actix_web::http::Method::HEAD, &path, &[], None)
        .await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("etag"), Some(etag.as_str()));
    let cached = get(vec![("if-none-match", etag.clone())]).await;
    assert_eq!(cached.status, 304);
    assert!(cached.body.is_empty());
    let part = get(vec![("range", "bytes=0-7".into())]).await;
    assert_eq!(part.status, 206);
    assert_eq!(&part.body[..], b"\x89PNG\r\n\x1a\n");
    assert_eq!(
        part.header("content-range").unwrap(),
        format!("bytes 0-7/{}", file.body.len())
    );
    let tail = get(vec![("range", "bytes=-4".into())]).await;
    assert_eq!(&tail.body[..], &file.body[file.body.len() - 4..]);
    let beyond = get(vec![("range", format!("bytes={}-", file.body.len()))]).await;
    assert_eq!(beyond.status, 416);
    let stale = get(vec![
        ("range", "bytes=0-7".into()),
        ("if-range", "\"old\"".into()),
    ])
    .await;
    assert_eq!(
        (stale.status.as_u16(), stale.body.len()),
        (200, file.body.len())
    );

    // A 256-pixel image is its own thumbnail; a larger one gets a JPEG that fits 256×256.
    let mut large = ask("image", "url");
    large["size"] = "512x512".into();
    generate(&app, &token, &large).await;
    let gallery = app.get_auth("/api/images", &token).await.expect(200);
    let thumbnail = |i: usize| path_of(gallery["data"][i]["thumbnailUrl"].as_str().unwrap());
    let small = app.get(&thumbnail(1)).await;
    assert_eq!(small.header("content-type"), Some("image/png"));
    assert_eq!(small.body, file.body);
    let thumb = app.get(&thumbnail(0)).await;
    assert_eq!(thumb.status, 200);
    assert_eq!(thumb.header("content-type"), Some("image/jpeg"));
    assert_eq!(&thumb.body[..2], b"\xff\xd8");
    assert_eq!(studio_tests::images::media_files(&db, "thumbs").len(), 1);
}

#[db_test]
async fn tampered_foreign_and_missing_signatures_are_403(db: TestDb) {
    let (app, _up) = gateway_with_images(&db, &[]).await;
    let token = access_token(&app, "ada@example.com").await;
    let first = generate(&app, &token, &ask("image", "url")).await;
    let mut other = ask("image", "url");
    other["prompt"] = "another picture".into();
    let second = generate(&app, &token, &other).await;
    let url = path_of(first["data"][0]["url"].as_str().unwrap());
    let other_url = path_of(second["data"][0]["url"].as_str().unwrap());
    let (path, query) = url.split_once('?').unwrap();
    let (other_path, other_query) = other_url.split_once('?').unwrap();
    let signature = query.split("signature=").nth(1).unwrap();
    let mut flipped = signature.to_owned();
    let last = if flipped.pop() == Some('A') { 'B' } else { 'A' };
    flipped.push(last);
    let expires: i64 = query
        .split('&')
        .next()
        .unwrap()
        .trim_start_matches("expires=")
        .parse()
        .unwrap();
    for bad in [
        format!("{path}?{}", query.replace(signature, &flipped)),
        format!("{path}?expires={}&signature={signature}", expires + 3600),
        // Another image's valid signature.
        format!("{path}?{other_query}"),
        format!("{other_path}?{query}"),
        // The image's signature on its thumbnail.
        format!("{path}/thumbnail?{query}"),
        path.to_owned(),
        format!("{path}?expires={expires}"),
    ] {
        let response = app.get(&bad).await;
        response.expect_api_error(403, "invalid_signature");
    }
}

#[db_test]
async fn links_expire(db: TestDb) {
    let (app, _up) = gateway_with_images(&db, &[("STUDIO_MEDIA_URL_TTL_SECS", "1")]).await;
    let token = access_token(&app, "ada@example.com").await;
    let reply = generate(&app, &token, &ask("image", "url")).await;
    let path = path_of(reply["data"][0]["url"].as_str().unwrap());
    assert_eq!(app.get(&path).await.status, 200);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2100)).await;
    app.get(&path)
        .await
        .expect_api_error(403, "invalid_signature");
    // The gallery hands out fresh links.
    let gallery = app.get_auth("/api/images", &token).await.expect(200);
    let fresh = path_of(gallery["data"][0]["url"].as_str().unwrap());
    assert_eq!(app.get(&fresh).await.status, 200);
}

#[db_test]
async fn path_traversal_in_ids_and_paths_reaches_nothing(db: TestDb) {
    let (app, _up) = gateway_with_images(&db, &[]).await;
    let token = access_token(&app, "ada@example.com").await;
    let mut body = ask("image", "url");
    body["prompt"] = "../../../etc/passwd".into();
    body["user"] = "../../x".into();
    generate(&app, &token, &body).await;
    for name in studio_tests::images::media_files(&db, "images") {
        let (digest, ext) = name.split_once('.').unwrap();
        assert!(
            digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()),
            "{name}"
        );
        assert_eq!(ext, "png");
    }
    std::fs::write(db.dir().join("secret.txt"), b"do not serve").unwrap();
    for path in [
        "/media/images/..%2F..%2Fsecret.txt?expires=9999999999&signature=x",
        "/media/images/%2e%2e/%2e%2e/secret.txt?expires=9999999999&signature=x",
        "/media/images/..%2f..%2f..%2fetc%2fpasswd/thumbnail?expires=1&signature=x",
        "/media/../secret.txt",
        "/media/images/%00?expires=1&signature=x",
    ] {
        let response = app.get(path).await;
        assert!(
            matches!(response.status.as_u16(), 403 | 404),
            "{path}: {}",
            response.status
        );
        assert!(!response.text().contains("do not serve"));
    }
    for path in [
        "/api/images/..%2F..%2Fsecret.txt",
        "/api/images/%2e%2e",
        "/api/images/not-an-id",
    ] {
        app.get_auth(path, &token)
            .await
            .expect_api_error(404, "not_found");
        app.send_auth(actix_web::http::Method::DELETE, path, &token, None)
            .await
            .expect_api_error(404, "not_found");
    }
}
