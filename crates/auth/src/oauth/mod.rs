//! Sign-in with Google, Apple and any OpenID Connect provider: discovery, PKCE, state and
//! nonce, ID-token verification (JWKS refreshed on an unknown key), account linking, and the
//! one-time code the frontend trades for Studio's own tokens.

mod apple;
mod config;
mod error;
mod http;
mod linking;
mod provider;
mod service;
mod store;
mod types;

pub use apple::client_secret as apple_client_secret;
pub use config::{providers_from_lookup, AppleSigning, OAuthKind, OAuthProviderConfig};
pub use error::OAuthError;
pub use linking::AccountCredentials;
pub use service::{OAuth, OAuthService};
pub use types::{CallbackOutcome, CallbackParams, IdentityInfo, Linked, ProviderInfo, StartedFlow};
