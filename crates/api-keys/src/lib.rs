//! API keys: issue, list, rename, revoke, and verify them on the `/v1` hot path.
//!
//! Keys are `sk-studio-<43 chars>` (256 random bits), stored only as an HMAC-SHA-256 under the
//! server secret. Verification is served from a bounded cache (negative answers too) so a busy
//! key costs no database round trip; revocations from other instances arrive by polling.

mod admin;
mod cache;
mod error;
mod key;
mod last_used;
mod service;
mod store;
mod types;

pub use admin::{AdminKeyInfo, KeyAdmin};
pub use error::ApiKeyError;
pub use key::KEY_PREFIX;
pub use service::{ApiKeyService, ApiKeySettings, ApiKeys};
pub use types::{ApiKeyInfo, CreatedApiKey, KeyUpdate, NewApiKey, VerifiedKey};
