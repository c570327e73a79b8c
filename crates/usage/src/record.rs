use chrono::NaiveDateTime;
use diesel::prelude::*;
use studio_core::schema::usage_records;

/// What one request used and how it went.
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
// A `None` is bound as NULL (each nullable column's default) rather than left out of the
// statement: every insert is then the same SQL, prepared once and reused from the cache,
// instead of a statement built and looked up by its text per row.
#[diesel(table_name = usage_records, treat_none_as_default_value = false)]
pub struct UsageRecord {
    pub id: String,
    pub user_id: String,
    pub api_key_id: Option<String>,
    /// `chat` or `image`.
    pub kind: String,
    /// The public model id.
    pub model: String,
    /// Base URL of the upstream that served it (none if no upstream was reached).
    pub upstream: Option<String>,
    pub stream: bool,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub total_tokens: i64,
    /// True when the upstream reported no usage and Studio estimated the counts.
    pub estimated: bool,
    pub ttft_ms: Option<i64>,
    pub latency_ms: i64,
    pub status: i32,
    /// True when the client went away before the response was complete.
    pub cancelled: bool,
    pub created_at: NaiveDateTime,
    /// Priced from the catalog at the time of the request (0 for models without pricing), so a
    /// price change never rewrites history.
    #[serde(default)]
    pub cost_usd: f64,
    /// The chat session and assistant message a session reply was for (none for `/v1`).
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub message_id: Option<String>,
    /// Images a generation returned (0 for chat).
    #[serde(default)]
    pub images: i64,
}
