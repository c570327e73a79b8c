//! Accounts and sessions: users, password hashing, JWT access tokens, rotating refresh
//! tokens grouped in per-sign-in sessions, revocation, and sign-in rate limiting.
//!
//! The gateway talks to [`AuthService`]; everything else here is an implementation detail.

mod auth;
mod error;
pub mod oauth;
mod password;
mod rate_limit;
pub(crate) mod refresh;
mod revocations;
mod service;
mod store;
mod tokens;
mod types;
mod validation;

pub use auth::{Auth, AuthSettings};
pub use error::AuthError;
pub use rate_limit::{RateLimited, SignInThrottle};
pub use service::AuthService;
pub use tokens::{AccessClaims, AccessTokens};
pub use types::{
    AuthResponse, ChangePassword, ClientInfo, Credentials, ProfileUpdate, Registration,
    SessionInfo, User,
};
