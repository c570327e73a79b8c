use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use studio_core::{time::serde_utc, LimitSettings};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewApiKey {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    #[serde(default)]
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The creation response: the only time the full key is ever shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiKey {
    pub id: String,
    pub name: String,
    pub key: String,
    pub prefix: String,
    pub last_four: String,
    #[serde(with = "serde_utc")]
    pub created_at: NaiveDateTime,
    #[serde(with = "serde_utc::option")]
    #[schema(required = true)]
    pub expires_at: Option<NaiveDateTime>,
}

/// A key as listed: never the secret.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyInfo {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub last_four: String,
    #[serde(with = "serde_utc")]
    pub created_at: NaiveDateTime,
    #[serde(with = "serde_utc::option")]
    #[schema(required = true)]
    pub last_used_at: Option<NaiveDateTime>,
    #[serde(with = "serde_utc::option")]
    #[schema(required = true)]
    pub expires_at: Option<NaiveDateTime>,
    #[serde(with = "serde_utc::option")]
    #[schema(required = true)]
    pub revoked_at: Option<NaiveDateTime>,
    /// The key's own limits (null: the defaults apply).
    pub limits: LimitSettings,
}

/// Who a valid key belongs to (what the `/v1` extractor needs for accounting and limits).
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedKey {
    pub key_id: String,
    pub user_id: String,
    pub expires_at: Option<NaiveDateTime>,
    pub limits: LimitSettings,
}

/// `PATCH /api/keys/{id}`: a new name and/or new limits. `limits` replaces all of the key's
/// limits; a field left out or null means the configured default.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyUpdate {
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: Option<String>,
    #[serde(default)]
    pub limits: Option<LimitSettings>,
}
