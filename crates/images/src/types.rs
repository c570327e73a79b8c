//! What the services return: OpenAI's generation response, the gallery's camelCase items, and
//! a file to serve.

use bytes::Bytes;
use chrono::NaiveDateTime;
use serde::Serialize;
use studio_core::time::serde_utc;

/// `POST /v1/images/generations`'s answer, as OpenAI writes it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GenerationResponse {
    pub created: i64,
    pub data: Vec<GeneratedImage>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GeneratedImage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b64_json: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revised_prompt: Option<String>,
}

/// An image in the gallery.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageInfo {
    pub id: String,
    pub prompt: String,
    #[schema(required = true)]
    pub revised_prompt: Option<String>,
    pub model: String,
    pub size: String,
    pub width: i32,
    pub height: i32,
    pub format: String,
    pub bytes: i64,
    pub url: String,
    pub thumbnail_url: String,
    #[serde(with = "serde_utc")]
    pub created_at: NaiveDateTime,
}

/// One page of the gallery, newest first; `nextCursor` fetches the next (older) page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImagePage {
    pub data: Vec<ImageInfo>,
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone)]
pub struct GalleryQuery {
    pub cursor: Option<String>,
    pub limit: i64,
    pub model: Option<String>,
}

/// A stored file, ready to be served.
#[derive(Debug, Clone)]
pub struct MediaFile {
    pub bytes: Bytes,
    pub content_type: &'static str,
    /// The file's content digest: a strong validator that never changes for this URL.
    pub etag: String,
    /// When the URL that asked for it expires (Unix seconds).
    pub expires: i64,
}

/// Who is asking, for ownership and accounting.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub api_key_id: Option<String>,
}
