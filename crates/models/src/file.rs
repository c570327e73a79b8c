//! The catalog file as written by operators (camelCase keys, like the API).

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogFile {
    #[serde(default)]
    pub models: Vec<ModelEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ModelEntry {
    pub id: String,
    pub name: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub context_length: Option<u32>,
    pub max_output_tokens: Option<u32>,
    #[serde(default)]
    pub capabilities: Vec<String>,
    pub pricing: Option<PricingEntry>,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub owned_by: Option<String>,
    pub created: Option<i64>,
    #[serde(default)]
    pub upstreams: Vec<UpstreamEntry>,
    /// Image models: the `WIDTHxHEIGHT` sizes offered, the first being the default.
    #[serde(default)]
    pub sizes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PricingEntry {
    pub input_per_million: f64,
    pub output_per_million: f64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UpstreamEntry {
    pub base_url: String,
    pub api_key_env: Option<String>,
    pub model: Option<String>,
    #[serde(default = "one")]
    pub weight: u32,
    pub timeout_secs: Option<u64>,
    pub connect_timeout_secs: Option<u64>,
    pub first_token_timeout_secs: Option<u64>,
    pub idle_timeout_secs: Option<u64>,
}

fn yes() -> bool {
    true
}

fn one() -> u32 {
    1
}
