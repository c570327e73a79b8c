//! The message tree: editing a user message and regenerating a reply make sibling branches;
//! the session follows its current leaf, and switching branch moves it.

use actix_web::http::Method;
use serde_json::{json, Value};
use studio_tests::{
    db_test,
    sessions::{create_session, say, send, setup},
    TestApp, TestDb,
};

async fn branch(app: &TestApp, token: &str, session: &str) -> Vec<(String, String)> {
    let detail = app
        .get_auth(&format!("/api/chat/sessions/{session}"), token)
        .await
        .expect(200);
    detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_owned(),
                m["content"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn siblings(app: &TestApp, token: &str, session: &str, message: &str) -> Vec<Value> {
    app.get_auth(
        &format!("/api/chat/sessions/{session}/messages/{message}/siblings"),
        token,
    )
    .await
    .expect(200)
    .as_array()
    .unwrap()
    .clone()
}

#[db_test]
async fn edits_and_regenerations_branch_and_the_session_can_switch_between_them(db: TestDb) {
    let (app, _up, token) = setup(&db).await;
    let id = create_session(&app, &token, json!({"model": "chat"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = say(&app, &token, &id, "first question").await;
    let (_, first_reply) = first.message_ids();
    let second = say(&app, &token, &id, "second question").await;
    let (second_user, second_reply) = second.message_ids();
    let second_user = second_user.unwrap();
    assert_eq!(
        branch(&app, &token, &id)
            .await
            .iter()
            .map(|(_, c)| c.as_str())
            .collect::<Vec<_>>(),
        [
            "first question",
            first.text.as_str(),
            "second question",
            second.text.as_str()
        ]
    );

    // Editing the second question: its replacement answers the same reply.
    let edited = send(
        &app,
        &token,
        &id,
        json!({"content": "second question, edited", "parentId": first_reply}),
    )
    .await;
    let (edited_user, edited_reply) = edited.message_ids();
    let edited_user = edited_user.unwrap();
    let now = branch(&app, &token, &id).await;
    assert_eq!(now.len(), 4);
    assert_eq!(now[2].1, "second question, edited");
    assert_eq!(now[3].1, edited.text);
    let users: Vec<_> = siblings(&app, &token, &id, &edited_user)
        .await
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(users, [second_user.clone(), edited_user.clone()]);

    // Regenerating the reply: a sibling reply to the same question, now current.
    let path = format!("/api/chat/sessions/{id}/messages/{edited_reply}/regenerate");
    let regenerated = app.post_auth(&path, &token, &json!({})).await;
    assert_eq!(regenerated.status, 200);
    let regenerated = studio_tests::sessions::Streamed::parse(&regenerated.text());
    let (none, again) = regenerated.message_ids();
    assert!(none.is_none());
    let replies = siblings(&app, &token, &id, &again).await;
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0]["id"], edited_reply.as_str());
    assert_eq!(replies[1]["parentId"], edited_user.as_str());
    let detail = app
        .get_auth(&format!("/api/chat/sessions/{id}"), &token)
        .await
        .expect(200);
    assert_eq!(detail["currentLeafId"], again.as_str());

    // Switching to the original second question follows its branch down to its leaf.
    let switched = app
        .send_auth(
            Method::PATCH,
            &format!("/api/chat/sessions/{id}"),
            &token,
            Some(&json!({"currentLeafId": second_user})),
        )
        .await
        .expect(200);
    assert_eq!(switched["currentLeafId"], second_reply.as_str());
    let now = branch(&app, &token, &id).await;
    assert_eq!(now[2].1, "second question");
    assert_eq!(now[3].1, second.text);
    // Regenerating a user message, or switching to a message elsewhere, is refused.
    let path = format!("/api/chat/sessions/{id}/messages/{second_user}/regenerate");
    app.post_auth(&path, &token, &json!({}))
        .await
        .expect_api_error(400, "validation_error");
    app.send_auth(
        Method::PATCH,
        &format!("/api/chat/sessions/{id}"),
        &token,
        Some(&json!({"currentLeafId": "0190d5e0-0000-7000-8000-000000000000"})),
    )
    .await
    .expect_api_error(400, "validation_error");
}

#[db_test]
async fn the_system_prompt_and_branch_go_upstream_and_the_reply_echoes_the_last_message(
    db: TestDb,
) {
    let (app, _up, token) = setup(&db).await;
    let id = create_session(
        &app,
        &token,
        json!({"model": "chat", "systemPrompt": "be brief"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = say(&app, &token, &id, "tell me about owls").await;
    assert!(reply.ended_with_done());
    // Every content event is a chat.completion.chunk with an offset id, as on /v1.
    let chunks: Vec<Value> = reply
        .events
        .iter()
        .filter(|e| e.event.is_none() && e.data != "[DONE]")
        .map(|e| serde_json::from_str(&e.data).unwrap())
        .collect();
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk"));
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );
    assert_eq!(reply.last_id, Some(reply.text.len()));
    assert!(!reply.text.is_empty());
}
