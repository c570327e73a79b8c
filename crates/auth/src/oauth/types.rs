use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use studio_core::time::serde_utc;

/// A button on the sign-in page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderInfo {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
}

pub struct StartedFlow {
    pub authorization_url: String,
    /// The value of the cookie that binds the flow to this browser.
    pub browser_binding: String,
}

/// What the provider sends back (query string, or Apple's form post).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    /// Apple only, on the first authorization: `{"name":{"firstName","lastName"},"email"}`.
    pub user: Option<String>,
}

pub struct CallbackOutcome {
    /// The one-time code for `POST /api/auth/oauth/exchange`.
    pub code: String,
    pub redirect_to: String,
    /// The account signed in to, and how the identity came to belong to it (for the audit log).
    pub user_id: String,
    pub linked: Linked,
}

/// How a provider identity found its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linked {
    /// Seen before.
    Known,
    /// New, linked to the verified account with the same address.
    Linked,
    /// New, and it proved the address of an unverified account: handed over (see `linking`).
    TakenOver,
    /// New, with a new account.
    Created,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityInfo {
    pub id: String,
    pub provider: String,
    #[schema(required = true)]
    pub email: Option<String>,
    #[serde(with = "serde_utc")]
    pub created_at: NaiveDateTime,
}
