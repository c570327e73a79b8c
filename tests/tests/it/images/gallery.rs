//! The gallery: newest first, cursor pages, the model filter, one image, deletion, and
//! nobody else's images.

use actix_web::http::Method;
use serde_json::{json, Value};
use studio_tests::{
    access_token, api_key, db_test, images::gateway_with_images, images::media_files, TestDb,
};

use super::{ask, generate, path_of};

async fn make(app: &studio_tests::TestApp, token: &str, model: &str, prompt: &str) {
    let mut body = ask(model, "url");
    body["prompt"] = json!(prompt);
    generate(app, token, &body).await;
}

fn prompts(page: &Value) -> Vec<&str> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["prompt"].as_str().unwrap())
        .collect()
}

#[db_test]
async fn the_gallery_is_newest_first_in_cursor_pages_with_a_model_filter(db: TestDb) {
    let (app, _up) = gateway_with_images(&db, &[]).await;
    let token = access_token(&app, "ada@example.com").await;
    make(&app, &token, "image", "one").await;
    make(&app, &token, "image-other", "two").await;
    make(&app, &token, "image", "three").await;
    let first = app
        .get_auth("/api/images?limit=2", &token)
        .await
        .expect(200);
    assert_eq!(prompts(&first), vec!["three", "two"]);
    let item = &first["data"][0];
    for field in [
        "id",
        "prompt",
        "revisedPrompt",
        "model",
        "size",
        "url",
        "thumbnailUrl",
        "createdAt",
    ] {
        assert!(item.get(field).is_some(), "{field} in {item}");
    }
    assert_eq!(item["revisedPrompt"], "three");
    assert!(item["createdAt"].as_str().unwrap().ends_with('Z'));
    let cursor = first["nextCursor"].as_str().unwrap();
    let second = app
        .get_auth(&format!("/api/images?limit=2&cursor={cursor}"), &token)
        .await
        .expect(200);
    assert_eq!(prompts(&second), vec!["one"]);
    assert_eq!(second["nextCursor"], Value::Null);
    let filtered = app
        .get_auth("/api/images?model=image-other", &token)
        .await
        .expect(200);
    assert_eq!(prompts(&filtered), vec!["two"]);
    let id = item["id"].as_str().unwrap();
    let one = app
        .get_auth(&format!("/api/images/{id}"), &token)
        .await
        .expect(200);
    assert_eq!(one["prompt"], "three");
    assert_eq!(
        app.get(&path_of(one["url"].as_str().unwrap())).await.status,
        200
    );
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("cursor=nope", "cursor"),
    ] {
        let error = app
            .get_auth(&format!("/api/images?{query}"), &token)
            .await
            .expect_api_error(400, "validation_error");
        assert_eq!(error["error"]["details"]["field"], field);
    }
    app.get_auth("/api/images?limit=abc", &token)
        .await
        .expect(400);
}

#[db_test]
async fn another_users_images_are_404_and_strangers_are_401(db: TestDb) {
    let (app, _up) = gateway_with_images(&db, &[]).await;
    let ada = access_token(&app, "ada@example.com").await;
    let bob = access_token(&app, "bob@example.com").await;
    make(&app, &ada, "image", "ada's").await;
    let page = app.get_auth("/api/images", &ada).await.expect(200);
    let id = page["data"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/images/{id}");
    assert_eq!(
        app.get_auth("/api/images", &bob).await.expect(200)["data"],
        json!([])
    );
    app.get_auth(&path, &bob)
        .await
        .expect_api_error(404, "not_found");
    app.send_auth(Method::DELETE, &path, &bob, None)
        .await
        .expect_api_error(404, "not_found");
    app.get_auth(&path, &ada).await.expect(200);
    for (method, path) in [
        (Method::GET, "/api/images"),
        (Method::GET, path.as_str()),
        (Method::DELETE, path.as_str()),
    ] {
        app.request(method, path, &[], None)
            .await
            .expect_api_error(401, "missing_token");
    }
    // An API key is for /v1 only.
    let key = api_key(&app, &ada).await;
    app.get_auth("/api/images", &key).await.expect(401);
}

#[db_test]
async fn deleting_removes_the_row_and_files_but_not_a_file_another_image_shares(db: TestDb) {
    let (app, _up) = gateway_with_images(&db, &[]).await;
    let token = access_token(&app, "ada@example.com").await;
    // The dev server renders the same prompt identically: both rows share one file.
    make(&app, &token, "image", "twins").await;
    make(&app, &token, "image", "twins").await;
    let page = app.get_auth("/api/images", &token).await.expect(200);
    let ids: Vec<String> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    let urls: Vec<String> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| path_of(i["url"].as_str().unwrap()))
        .collect();
    assert_eq!(media_files(&db, "images").len(), 1);
    app.send_auth(
        Method::DELETE,
        &format!("/api/images/{}", ids[0]),
        &token,
        None,
    )
    .await
    .expect(204);
    app.get_auth(&format!("/api/images/{}", ids[0]), &token)
        .await
        .expect_api_error(404, "not_found");
    app.get(&urls[0]).await.expect_api_error(404, "not_found");
    assert_eq!(
        app.get(&urls[1]).await.status,
        200,
        "the twin still has its file"
    );
    assert_eq!(media_files(&db, "images").len(), 1);
    // A file that is already gone is not an error.
    for file in media_files(&db, "images") {
        std::fs::remove_file(db.dir().join("media/images").join(file)).unwrap();
    }
    app.send_auth(
        Method::DELETE,
        &format!("/api/images/{}", ids[1]),
        &token,
        None,
    )
    .await
    .expect(204);
    assert!(media_files(&db, "images").is_empty());
    app.get(&urls[1]).await.expect_api_error(404, "not_found");
    app.send_auth(
        Method::DELETE,
        &format!("/api/images/{}", ids[1]),
        &token,
        None,
    )
    .await
    .expect_api_error(404, "not_found");
}
