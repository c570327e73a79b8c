//! The model catalog in both wire formats, and catalog validation at start-up.

use studio_tests::{access_token, api_key, db_test, TestApp, TestDb};

#[db_test]
async fn v1_models_lists_the_catalog_in_openai_format(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let token = access_token(&app, "ada@example.com").await;
    let key = api_key(&app, &token).await;
    let list = app.get_auth("/v1/models", &key).await.expect(200);
    assert_eq!(list["object"], "list");
    let data = list["data"].as_array().unwrap();
    assert!(data.len() >= 3);
    for model in data {
        assert_eq!(model["object"], "model");
        assert!(
            model["id"].is_string() && model["created"].is_i64() && model["owned_by"].is_string()
        );
    }
    let one = app
        .get_auth("/v1/models/llama-3.1-8b-instruct", &key)
        .await
        .expect(200);
    assert_eq!(one["id"], "llama-3.1-8b-instruct");
    assert_eq!(one["object"], "model");
    let missing = app
        .get_auth("/v1/models/nope", &key)
        .await
        .expect_openai_error(404);
    assert_eq!(missing["error"]["code"], "model_not_found");
    assert_eq!(missing["error"]["param"], "model");
    app.get("/v1/models/llama-3.1-8b-instruct")
        .await
        .expect_openai_error(401);
}

#[db_test]
async fn api_models_is_camel_case_for_the_frontend(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let token = access_token(&app, "ada@example.com").await;
    let models = app.get_auth("/api/models", &token).await.expect(200);
    let llama = models
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "llama-3.1-8b-instruct")
        .unwrap();
    assert_eq!(llama["type"], "chat");
    assert_eq!(llama["contextLength"], 131072);
    assert_eq!(llama["maxOutputTokens"], 8192);
    assert!(llama["capabilities"]
        .as_array()
        .unwrap()
        .contains(&"tools".into()));
    assert!(llama["pricing"]["inputPerMillion"].is_f64());
    let image = models
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["type"] == "image")
        .unwrap();
    assert_eq!(image["sizes"][0], "1024x1024");
    assert!(llama.get("sizes").is_none());
    app.get("/api/models")
        .await
        .expect_api_error(401, "missing_token");
}

#[db_test]
async fn a_bad_catalog_stops_start_up_naming_file_model_and_field(db: TestDb) {
    let path = db.dir().join("bad-models.toml");
    std::fs::write(&path, "[[models]]\nid = \"x\"\ntype = \"video\"\n[[models.upstreams]]\nbaseUrl = \"ftp://nope\"\napiKeyEnv = \"STUDIO_TEST_UNSET_KEY\"\n").unwrap();
    let config = TestApp::config(&db, &[("STUDIO_MODELS_FILE", path.to_str().unwrap())]).unwrap();
    let error = studio_gateway::Application::build(config, vec![])
        .await
        .err()
        .expect("start-up fails")
        .to_string();
    for field in ["type", "upstreams[0].baseUrl", "upstreams[0].apiKeyEnv"] {
        assert!(
            error.contains(&format!("model \"x\": {field}:")),
            "{field} not named in {error}"
        );
    }
    assert!(error.contains("bad-models.toml"));
}

#[db_test]
async fn with_no_catalog_file_the_built_in_catalog_is_served(db: TestDb) {
    // The tests run in tests/, which has no config/models.toml; "" leaves the variable unset.
    let built_in = TestApp::spawn_with(&db, &[("STUDIO_MODELS_FILE", "")]).await;
    let from_file = TestApp::spawn(&db).await;
    let token = access_token(&from_file, "ada@example.com").await;
    let ids = |list: serde_json::Value| -> Vec<serde_json::Value> {
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].clone())
            .collect()
    };
    let served = ids(built_in.get_auth("/v1/models", &token).await.expect(200));
    assert!(!served.is_empty());
    assert_eq!(
        served,
        ids(from_file.get_auth("/v1/models", &token).await.expect(200))
    );
}

#[db_test]
async fn a_catalog_file_that_was_named_but_cannot_be_read_stops_start_up(db: TestDb) {
    let missing = db.dir().join("no-such-models.toml");
    let config = TestApp::config(&db, &[("STUDIO_MODELS_FILE", missing.to_str().unwrap())]);
    let error = studio_gateway::Application::build(config.unwrap(), vec![])
        .await
        .err()
        .expect("start-up fails")
        .to_string();
    assert!(error.contains("cannot read the model catalog"), "{error}");
}
