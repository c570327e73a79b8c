//! Who is calling a `/v1` route, as every domain that meters or limits requests needs it.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    /// The API key used, when the caller used one (usage is accounted per key); `None` for
    /// the frontend's JWT.
    pub api_key_id: Option<String>,
}
