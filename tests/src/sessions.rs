//! Helpers for chat session tests: create sessions, send messages, read and resume streams.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};
use studio_dev_inference::DevServer;

use crate::{access_token, sse, upstream::gateway_with_upstream, TestApp, TestDb};

/// A gateway over the dev upstream and a signed-in user.
pub async fn setup(db: &TestDb) -> (TestApp, DevServer, String) {
    let (app, up) = gateway_with_upstream(db, &[("STUDIO_CHAT_CHECKPOINT_MS", "100")]).await;
    let token = access_token(&app, "ada@example.com").await;
    (app, up, token)
}

pub async fn create_session(app: &TestApp, token: &str, body: Value) -> Value {
    app.post_auth("/api/chat/sessions", token, &body)
        .await
        .expect(201)
}

/// What a session stream said: its events and the reply text they carried.
pub struct Streamed {
    pub events: Vec<sse::SseEvent>,
    pub text: String,
    /// The `id:` of the last event that had one.
    pub last_id: Option<usize>,
}

impl Streamed {
    pub fn parse(body: &str) -> Self {
        let events = sse::parse(body);
        let mut text = String::new();
        let mut last_id = None;
        for event in &events {
            if let Some(id) = &event.id {
                last_id = id.parse().ok();
            }
            if event.event.is_none() && event.data != "[DONE]" {
                let chunk: Value = serde_json::from_str(&event.data).unwrap();
                if let Some(content) = chunk["choices"][0]["delta"]["content"].as_str() {
                    text.push_str(content);
                }
            }
        }
        Self {
            events,
            text,
            last_id,
        }
    }

    /// The ids named by the leading `event: message`.
    pub fn message_ids(&self) -> (Option<String>, String) {
        let first = &self.events[0];
        assert_eq!(first.event.as_deref(), Some("message"), "{:?}", self.events);
        let data: Value = serde_json::from_str(&first.data).unwrap();
        (
            data["userMessageId"].as_str().map(str::to_owned),
            data["assistantMessageId"].as_str().unwrap().to_owned(),
        )
    }

    pub fn ended_with_done(&self) -> bool {
        self.events.last().is_some_and(|e| e.data == "[DONE]")
    }
}

/// Sends a message and reads the whole reply stream.
pub async fn send(app: &TestApp, token: &str, session: &str, body: Value) -> Streamed {
    let path = format!("/api/chat/sessions/{session}/messages");
    let response = app.post_auth(&path, token, &body).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("text/event-stream"));
    Streamed::parse(&response.text())
}

pub async fn say(app: &TestApp, token: &str, session: &str, content: &str) -> Streamed {
    send(app, token, session, json!({ "content": content })).await
}

/// Starts a request and reads its body until `enough` says so, then drops the connection.
pub async fn read_then_leave(
    app: &TestApp,
    token: &str,
    path: &str,
    body: Option<&Value>,
    enough: impl Fn(&Streamed) -> bool,
) -> Streamed {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
    let request = match body {
        Some(_) => client.post(app.url(path)),
        None => client.get(app.url(path)),
    }
    .bearer_auth(token);
    let mut response = match body {
        Some(body) => request.send_json(body).await.unwrap(),
        None => request.send().await.unwrap(),
    };
    assert_eq!(response.status(), 200);
    let mut seen = String::new();
    while let Some(chunk) = response.next().await {
        seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        // Only whole events count.
        let whole = seen.rfind("\n\n").map_or("", |end| &seen[..end + 2]);
        if enough(&Streamed::parse(whole)) {
            return Streamed::parse(whole);
        }
    }
    panic!("the stream ended first: {seen}");
}

pub async fn message_of(app: &TestApp, token: &str, session: &str, id: &str) -> Value {
    let detail = app
        .get_auth(&format!("/api/chat/sessions/{session}"), token)
        .await
        .expect(200);
    let found = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .cloned();
    found.unwrap_or_else(|| panic!("{id} is not on the current branch: {detail}"))
}

/// The message once it is no longer `streaming`.
pub async fn finished(app: &TestApp, token: &str, session: &str, id: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let message = message_of(app, token, session, id).await;
        if message["status"] != "streaming" {
            return message;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still streaming: {message}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn slow_session(app: &TestApp, token: &str) -> String {
    create_session(app, token, json!({"model": "session-slow"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Sends a message and leaves after a few chunks: (assistant message id, what was read).
pub async fn start_and_leave(app: &TestApp, token: &str, session: &str) -> (String, Streamed) {
    let path = format!("/api/chat/sessions/{session}/messages");
    let body = json!({"content": "count to eighty"});
    let seen = read_then_leave(app, token, &path, Some(&body), |s| s.events.len() >= 4).await;
    (seen.message_ids().1, seen)
}

pub async fn resume(
    app: &TestApp,
    token: &str,
    session: &str,
    message: &str,
    after: usize,
) -> Streamed {
    let path = format!("/api/chat/sessions/{session}/messages/{message}/stream");
    let after = after.to_string();
    let bearer = format!("Bearer {token}");
    let headers = [
        ("authorization", bearer.as_str()),
        ("last-event-id", after.as_str()),
    ];
    let response = app
        .request(actix_web::http::Method::GET, &path, &headers, None)
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    Streamed::parse(&response.text())
}
