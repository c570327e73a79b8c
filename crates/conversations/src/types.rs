//! What the service takes and returns (camelCase on the wire).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use studio_core::time::serde_utc;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: String,
    pub title: String,
    pub model: String,
    #[schema(required = true)]
    pub system_prompt: Option<String>,
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    pub archived: bool,
    pub pinned: bool,
    #[schema(required = true)]
    pub current_leaf_id: Option<String>,
    #[serde(with = "serde_utc")]
    pub created_at: NaiveDateTime,
    #[serde(with = "serde_utc")]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    pub session_id: String,
    #[schema(required = true)]
    pub parent_id: Option<String>,
    pub role: String,
    pub content: String,
    #[schema(required = true)]
    pub model: Option<String>,
    pub status: String,
    #[schema(required = true)]
    pub error: Option<String>,
    #[schema(required = true)]
    pub prompt_tokens: Option<i64>,
    #[schema(required = true)]
    pub completion_tokens: Option<i64>,
    pub estimated: bool,
    #[serde(with = "serde_utc")]
    pub created_at: NaiveDateTime,
    #[serde(with = "serde_utc::option")]
    #[schema(required = true)]
    pub completed_at: Option<NaiveDateTime>,
}

/// A session with the messages of its current branch, root first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionDetail {
    #[serde(flatten)]
    pub session: Session,
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionPage {
    pub items: Vec<Session>,
    /// Pass as `?cursor=` for the next page; absent on the last one.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ListSessions {
    pub q: Option<String>,
    pub archived: Option<bool>,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewSession {
    pub title: Option<String>,
    pub model: String,
    pub system_prompt: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub params: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionPatch {
    pub title: Option<String>,
    pub model: Option<String>,
    /// An empty string removes the system prompt.
    pub system_prompt: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub params: Option<serde_json::Value>,
    pub archived: Option<bool>,
    pub pinned: Option<bool>,
    /// Switches branch: the newest leaf under this message becomes the current one.
    pub current_leaf_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewMessage {
    pub content: String,
    /// The message this one answers; the current leaf when absent. Editing a user message is
    /// sending its replacement with the edited message's parent.
    pub parent_id: Option<String>,
    pub model: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub params: Option<serde_json::Value>,
}

/// A reply about to be generated: stored as `streaming`, not started yet.
#[derive(Debug, Clone)]
pub struct PendingReply {
    pub user_id: String,
    pub session_id: String,
    /// The user message sent (none for a regeneration).
    pub user_message_id: Option<String>,
    pub message_id: String,
    pub model: String,
    /// The complete upstream request body (stream on).
    pub body: bytes::Bytes,
    pub prompt_estimate: i64,
}
