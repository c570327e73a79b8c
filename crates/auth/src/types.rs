//! Request and response types of the accounts API (camelCase on the wire).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use studio_core::time::serde_utc;

/// The user object, the same everywhere it appears.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub email: String,
    /// Whether the owner has proved the address (a mailed link, a reset, or a provider).
    pub email_verified: bool,
    pub first_name: String,
    pub last_name: String,
    #[schema(required = true)]
    pub avatar_url: Option<String>,
    /// `user` or `admin`.
    pub role: String,
    /// When an operator locked the account out; `null` while it may sign in.
    #[serde(with = "serde_utc::option")]
    #[schema(required = true)]
    pub disabled_at: Option<NaiveDateTime>,
    #[serde(with = "serde_utc")]
    pub created_at: NaiveDateTime,
    #[serde(with = "serde_utc")]
    pub updated_at: NaiveDateTime,
}

/// What sign-up, sign-in, refresh and the OAuth exchange return.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthResponse {
    pub user: User,
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[serde(default)]
    #[schema(max_length = 100, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub first_name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 100, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub last_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfileUpdate {
    #[serde(default)]
    #[schema(max_length = 100, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub first_name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 100, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub last_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangePassword {
    /// Absent for an account that has no password yet (signed up with Google or Apple).
    #[serde(default)]
    pub current_password: Option<String>,
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmailToken {
    pub token: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForgotPassword {
    pub email: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResetPassword {
    pub token: String,
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
}

/// Who is signing in, recorded on the session (shown in the device list).
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// One signed-in device.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub id: String,
    #[schema(required = true)]
    pub user_agent: Option<String>,
    #[schema(required = true)]
    pub ip_address: Option<String>,
    #[serde(with = "serde_utc")]
    pub created_at: NaiveDateTime,
    #[serde(with = "serde_utc")]
    pub last_used_at: NaiveDateTime,
    #[serde(with = "serde_utc")]
    pub expires_at: NaiveDateTime,
    pub current: bool,
}
