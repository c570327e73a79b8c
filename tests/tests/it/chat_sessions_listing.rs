//! Chat session lists: keyset pages that stay stable while sessions arrive, search over titles
//! and message text, and export of the current branch.

use serde_json::json;
use studio_tests::{
    db_test,
    sessions::{create_session, say, setup},
    TestDb,
};

#[db_test]
async fn pages_stay_stable_while_new_sessions_arrive(db: TestDb) {
    let (app, _up, token) = setup(&db).await;
    let mut made = Vec::new();
    for i in 0..5 {
        let session = create_session(
            &app,
            &token,
            json!({"model": "chat", "title": format!("s{i}")}),
        )
        .await;
        made.push(session["id"].as_str().unwrap().to_owned());
    }
    let page = |cursor: Option<String>| {
        let app = &app;
        let token = &token;
        async move {
            let query = cursor.map_or(String::new(), |c| format!("&cursor={c}"));
            app.get_auth(&format!("/api/chat/sessions?limit=2{query}"), token)
                .await
                .expect(200)
        }
    };
    let first = page(None).await;
    let ids = |page: &serde_json::Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&first), [made[4].clone(), made[3].clone()]);
    // New sessions arrive between the pages: they sort first and shift nothing.
    for i in 0..3 {
        create_session(
            &app,
            &token,
            json!({"model": "chat", "title": format!("new{i}")}),
        )
        .await;
    }
    let second = page(first["nextCursor"].as_str().map(str::to_owned)).await;
    assert_eq!(ids(&second), [made[2].clone(), made[1].clone()]);
    let third = page(second["nextCursor"].as_str().map(str::to_owned)).await;
    assert_eq!(ids(&third), [made[0].clone()]);
    assert!(third["nextCursor"].is_null());
}

#[db_test]
async fn search_finds_titles_and_message_text_and_export_writes_the_branch(db: TestDb) {
    let (app, _up, token) = setup(&db).await;
    create_session(
        &app,
        &token,
        json!({"model": "chat", "title": "Alpha plans"}),
    )
    .await;
    let fruit = create_session(&app, &token, json!({"model": "chat", "title": "Groceries"})).await;
    let fruit = fruit["id"].as_str().unwrap();
    let reply = say(&app, &token, fruit, "buy a banana").await;
    let found = |q: &'static str| {
        let app = &app;
        let token = &token;
        async move {
            let page = app
                .get_auth(&format!("/api/chat/sessions?q={q}"), token)
                .await
                .expect(200);
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["title"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("ALPHA").await, ["Alpha plans"]);
    assert_eq!(found("Banana").await, ["Groceries"]);
    assert!(
        found("%25").await.is_empty(),
        "a % is a character, not a wildcard"
    );

    let json_export = app
        .get_auth(
            &format!("/api/chat/sessions/{fruit}/export?format=json"),
            &token,
        )
        .await;
    assert_eq!(json_export.header("content-type"), Some("application/json"));
    let exported = json_export.json();
    assert_eq!(exported["title"], "Groceries");
    assert_eq!(exported["messages"][1]["content"], reply.text.as_str());
    let markdown = app
        .get_auth(
            &format!("/api/chat/sessions/{fruit}/export?format=markdown"),
            &token,
        )
        .await;
    assert!(markdown
        .header("content-type")
        .unwrap()
        .starts_with("text/markdown"));
    let text = markdown.text();
    assert!(text.starts_with("# Groceries"), "{text}");
    assert!(
        text.contains("## User\n\nbuy a banana") && text.contains(&reply.text),
        "{text}"
    );
}
