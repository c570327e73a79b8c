//! Table rows and their API shapes.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use studio_core::schema::{chat_messages, chat_sessions};

use crate::types::{Message, Session};

pub(crate) const STREAMING: &str = "streaming";
pub(crate) const COMPLETE: &str = "complete";
pub(crate) const CANCELLED: &str = "cancelled";
pub(crate) const ERROR: &str = "error";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = chat_sessions)]
pub(crate) struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub title: String,
    pub model: String,
    pub system_prompt: Option<String>,
    pub params: String,
    pub archived: bool,
    pub pinned: bool,
    pub current_leaf_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = chat_messages)]
#[diesel(treat_none_as_default_value = false)]
pub(crate) struct MessageRow {
    pub id: String,
    pub session_id: String,
    pub parent_id: Option<String>,
    pub role: String,
    pub content: String,
    pub model: Option<String>,
    pub status: String,
    pub error: Option<String>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub estimated: bool,
    pub owner: Option<String>,
    pub checkpointed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
}

impl SessionRow {
    pub fn params_json(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(&self.params).unwrap_or_default()
    }
}

impl From<SessionRow> for Session {
    fn from(row: SessionRow) -> Self {
        let params = serde_json::Value::Object(row.params_json());
        Session {
            id: row.id,
            title: row.title,
            model: row.model,
            system_prompt: row.system_prompt,
            params,
            archived: row.archived,
            pinned: row.pinned,
            current_leaf_id: row.current_leaf_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl From<MessageRow> for Message {
    fn from(row: MessageRow) -> Self {
        Message {
            id: row.id,
            session_id: row.session_id,
            parent_id: row.parent_id,
            role: row.role,
            content: row.content,
            model: row.model,
            status: row.status,
            error: row.error,
            prompt_tokens: row.prompt_tokens,
            completion_tokens: row.completion_tokens,
            estimated: row.estimated,
            created_at: row.created_at,
            completed_at: row.completed_at,
        }
    }
}
