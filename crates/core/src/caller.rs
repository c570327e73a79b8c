//! Who is calling a `/v1` route, as every domain that meters or limits requests needs it.

#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub user_id: String,
    /// The API key used, when the caller used one (usage is accounted per key); `None` for
    /// the frontend's JWT.
    pub api_key_id: Option<String>,
    /// The key's own limits (`None` fields: the defaults apply).
    pub key_limits: LimitSettings,
}

/// Limits of one scope (an API key or a user); `None` or 0: no limit of that kind.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "camelCase")]
pub struct LimitSettings {
    pub requests_per_minute: Option<u64>,
    pub tokens_per_minute: Option<u64>,
    pub concurrent_streams: Option<u64>,
    pub monthly_token_budget: Option<u64>,
    pub monthly_cost_budget_usd: Option<f64>,
}

impl LimitSettings {
    /// `self`'s values where set, `defaults` elsewhere.
    pub fn or(self, defaults: LimitSettings) -> LimitSettings {
        LimitSettings {
            requests_per_minute: self.requests_per_minute.or(defaults.requests_per_minute),
            tokens_per_minute: self.tokens_per_minute.or(defaults.tokens_per_minute),
            concurrent_streams: self.concurrent_streams.or(defaults.concurrent_streams),
            monthly_token_budget: self.monthly_token_budget.or(defaults.monthly_token_budget),
            monthly_cost_budget_usd: self
                .monthly_cost_budget_usd
                .or(defaults.monthly_cost_budget_usd),
        }
    }
}
