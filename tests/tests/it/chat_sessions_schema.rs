//! Schema drift for the chat session tables: a row of each round-trips through the hand-kept
//! diesel schema on both backends.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use studio_core::{
    db, db_run,
    ids::new_id,
    schema::{chat_messages, chat_sessions},
    time::now,
};
use studio_tests::{db_test, register, TestApp, TestDb};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = chat_sessions)]
struct SessionRow {
    id: String,
    user_id: String,
    title: String,
    model: String,
    system_prompt: Option<String>,
    params: String,
    archived: bool,
    pinned: bool,
    current_leaf_id: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = chat_messages)]
struct MessageRow {
    id: String,
    session_id: String,
    parent_id: Option<String>,
    role: String,
    content: String,
    model: Option<String>,
    status: String,
    error: Option<String>,
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
    estimated: bool,
    owner: Option<String>,
    checkpointed_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    completed_at: Option<NaiveDateTime>,
}

#[db_test]
async fn chat_session_tables_round_trip_a_row(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let user_id = register(&app, "ada@example.com").await["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let target = TestApp::config(&db, &[]).unwrap().database;
    db::run_migrations(&target).await.unwrap();
    let pool = db::connect(&target, 1).await.unwrap();
    let t = now();
    let session = SessionRow {
        id: new_id(),
        user_id,
        title: "t".into(),
        model: "m".into(),
        system_prompt: Some("be brief".into()),
        params: "{}".into(),
        archived: true,
        pinned: false,
        current_leaf_id: Some("leaf".into()),
        created_at: t,
        updated_at: t,
    };
    let message = MessageRow {
        id: new_id(),
        session_id: session.id.clone(),
        parent_id: None,
        role: "assistant".into(),
        content: "hello".into(),
        model: Some("m".into()),
        status: "error".into(),
        error: Some("e".into()),
        prompt_tokens: Some(1),
        completion_tokens: Some(2),
        estimated: true,
        owner: Some("o".into()),
        checkpointed_at: Some(t),
        created_at: t,
        completed_at: None,
    };
    let (s, m) = db_run!(&pool, |conn| {
        diesel::insert_into(chat_sessions::table)
            .values(&session)
            .execute(conn)
            .await?;
        diesel::insert_into(chat_messages::table)
            .values(&message)
            .execute(conn)
            .await?;
        let s = chat_sessions::table
            .select(SessionRow::as_select())
            .first(conn)
            .await?;
        let m = chat_messages::table
            .select(MessageRow::as_select())
            .first(conn)
            .await?;
        Ok((s, m))
    })
    .unwrap();
    assert_eq!((s, m), (session, message));
}

#[db_test]
async fn a_session_reply_is_accounted_through_the_same_proxy_as_v1(db: TestDb) {
    let (app, _up, token) = studio_tests::sessions::setup(&db).await;
    let session =
        studio_tests::sessions::create_session(&app, &token, serde_json::json!({"model": "chat"}))
            .await;
    let session = session["id"].as_str().unwrap();
    let reply = studio_tests::sessions::say(&app, &token, session, "hello there").await;
    let records = studio_tests::usage_records(&db, 1).await;
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(
        (record.model.as_str(), record.status, record.stream),
        ("chat", 200, true)
    );
    assert!(record.api_key_id.is_none());
    // The message stores the upstream's own counts, as the usage record does.
    let stored =
        studio_tests::sessions::message_of(&app, &token, session, &reply.message_ids().1).await;
    assert_eq!(stored["completionTokens"], record.completion_tokens);
    assert_eq!(stored["promptTokens"], record.prompt_tokens);
    assert_eq!(stored["estimated"], false);
}

#[db_test]
async fn a_session_reply_record_names_its_session_and_message(db: TestDb) {
    let (app, _up, token) = studio_tests::sessions::setup(&db).await;
    let session =
        studio_tests::sessions::create_session(&app, &token, serde_json::json!({"model": "chat"}))
            .await;
    let session = session["id"].as_str().unwrap();
    let reply = studio_tests::sessions::say(&app, &token, session, "tag me").await;
    let records = studio_tests::usage_records(&db, 1).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].session_id.as_deref(), Some(session));
    assert_eq!(
        records[0].message_id.as_deref(),
        Some(reply.message_ids().1.as_str())
    );
}
