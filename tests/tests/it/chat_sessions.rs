//! Chat sessions: the REST surface, bad input, authentication and other users' data.

use actix_web::http::Method;
use serde_json::json;
use studio_tests::{
    access_token, db_test,
    sessions::{create_session, say, setup},
    TestDb,
};

#[db_test]
async fn a_session_is_created_listed_read_updated_and_deleted(db: TestDb) {
    let (app, _up, token) = setup(&db).await;
    let session = create_session(
        &app,
        &token,
        json!({"model": "chat", "systemPrompt": "be brief", "params": {"temperature": 0.5}}),
    )
    .await;
    let id = session["id"].as_str().unwrap();
    assert_eq!(session["model"], "chat");
    assert_eq!(session["params"]["temperature"], 0.5);
    assert_eq!(session["archived"], false);
    // No title given: the first message names it, cut at a word boundary.
    let long = "Tell me everything about the history of the printing press in Europe please";
    let reply = say(&app, &token, id, long).await;
    assert!(reply.ended_with_done(), "{:?}", reply.events);
    let detail = app
        .get_auth(&format!("/api/chat/sessions/{id}"), &token)
        .await
        .expect(200);
    assert_eq!(
        detail["title"],
        "Tell me everything about the history of the printing press"
    );
    let messages = detail["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[1]["status"], "complete");
    assert_eq!(messages[1]["content"], reply.text.as_str());
    assert_eq!(messages[1]["parentId"], messages[0]["id"]);
    assert!(messages[1]["completionTokens"].as_i64().unwrap() > 0);
    assert_eq!(detail["currentLeafId"], messages[1]["id"]);

    let patched = app
        .send_auth(
            Method::PATCH,
            &format!("/api/chat/sessions/{id}"),
            &token,
            Some(&json!({"title": "Printing", "pinned": true, "archived": true})),
        )
        .await
        .expect(200);
    assert_eq!(patched["title"], "Printing");
    assert_eq!(patched["pinned"], true);
    let archived = app
        .get_auth("/api/chat/sessions?archived=true", &token)
        .await
        .expect(200);
    assert_eq!(archived["items"].as_array().unwrap().len(), 1);
    let active = app
        .get_auth("/api/chat/sessions?archived=false", &token)
        .await
        .expect(200);
    assert!(active["items"].as_array().unwrap().is_empty());
    // An archived session takes no messages.
    app.post_auth(
        &format!("/api/chat/sessions/{id}/messages"),
        &token,
        &json!({"content": "more"}),
    )
    .await
    .expect_api_error(400, "session_archived");

    app.send_auth(
        Method::DELETE,
        &format!("/api/chat/sessions/{id}"),
        &token,
        None,
    )
    .await
    .expect(204);
    app.get_auth(&format!("/api/chat/sessions/{id}"), &token)
        .await
        .expect_api_error(404, "not_found");
}

#[db_test]
async fn bad_input_is_refused_with_the_field_named(db: TestDb) {
    let (app, _up, token) = setup(&db).await;
    let bad_sessions = [
        json!({"model": "nope"}),
        json!({"model": "image"}),
        json!({"model": "chat", "params": [1]}),
        json!({"model": "chat", "params": {"stream": false}}),
        json!({"model": "chat", "title": "x".repeat(201)}),
    ];
    for body in bad_sessions {
        app.post_auth("/api/chat/sessions", &token, &body)
            .await
            .expect_api_error(400, "validation_error");
    }
    let id = create_session(&app, &token, json!({"model": "chat"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = create_session(&app, &token, json!({"model": "chat"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let elsewhere = say(&app, &token, &other, "hello").await.message_ids().1;
    let path = format!("/api/chat/sessions/{id}/messages");
    for body in [
        json!({"content": "   "}),
        json!({"content": "hi", "parentId": elsewhere}),
        json!({"content": "hi", "model": "nope"}),
    ] {
        app.post_auth(&path, &token, &body)
            .await
            .expect_api_error(400, "validation_error");
    }
    for query in ["limit=0", "cursor=garbage", "archived=maybe"] {
        let response = app
            .get_auth(&format!("/api/chat/sessions?{query}"), &token)
            .await;
        assert_eq!(response.status, 400, "{query}: {}", response.text());
    }
    app.get_auth(
        &format!("/api/chat/sessions/{id}/export?format=pdf"),
        &token,
    )
    .await
    .expect_api_error(400, "validation_error");
}

#[db_test]
async fn every_endpoint_needs_a_token_and_hides_other_users_sessions(db: TestDb) {
    let (app, _up, token) = setup(&db).await;
    let id = create_session(&app, &token, json!({"model": "chat"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let message = say(&app, &token, &id, "hello").await.message_ids().1;
    let base = format!("/api/chat/sessions/{id}");
    let endpoints: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, "/api/chat/sessions".into(), None),
        (
            Method::POST,
            "/api/chat/sessions".into(),
            Some(json!({"model": "chat"})),
        ),
        (Method::GET, base.clone(), None),
        (Method::PATCH, base.clone(), Some(json!({"title": "mine"}))),
        (Method::DELETE, base.clone(), None),
        (Method::GET, format!("{base}/export"), None),
        (
            Method::POST,
            format!("{base}/messages"),
            Some(json!({"content": "hi"})),
        ),
        (
            Method::GET,
            format!("{base}/messages/{message}/siblings"),
            None,
        ),
        (
            Method::POST,
            format!("{base}/messages/{message}/regenerate"),
            Some(json!({})),
        ),
        (
            Method::GET,
            format!("{base}/messages/{message}/stream"),
            None,
        ),
        (
            Method::POST,
            format!("{base}/messages/{message}/cancel"),
            Some(json!({})),
        ),
    ];
    for (method, path, body) in &endpoints {
        let response = app.request(method.clone(), path, &[], body.as_ref()).await;
        response.expect_api_error(401, "missing_token");
    }
    let intruder = access_token(&app, "eve@example.com").await;
    for (method, path, body) in endpoints.iter().skip(2) {
        app.send_auth(method.clone(), path, &intruder, body.as_ref())
            .await
            .expect_api_error(404, "not_found");
    }
    let theirs = app
        .get_auth("/api/chat/sessions", &intruder)
        .await
        .expect(200);
    assert!(theirs["items"].as_array().unwrap().is_empty());
    // Still there for its owner.
    app.get_auth(&base, &token).await.expect(200);
}
