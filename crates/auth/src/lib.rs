//! Accounts and sessions: users, password hashing, JWT access tokens, rotating refresh
//! tokens grouped in per-sign-in sessions, revocation, and sign-in rate limiting.
//!
//! The gateway talks to [`AuthService`]; everything else here is an implementation detail.

mod auth;
mod credentials;
mod email;
mod error;
mod janitor;
mod limits;
mod mail;
pub mod oauth;
mod operators;
mod password;
pub(crate) mod refresh;
mod revocations;
mod role;
mod rotation;
mod seal;
mod service;
mod store;
mod tokens;
mod types;
mod validation;

pub use auth::{Auth, AuthSettings};
pub use error::AuthError;
pub use janitor::{Janitor, Purged};
pub use limits::{network_of, Limits, RateLimited};
pub use mail::MailSettings;
pub use operators::UserAdmin;
pub use role::Role;
pub use service::{AuthService, Throttled};
pub use store::UserFilter;
pub use tokens::{AccessClaims, AccessTokens};
pub use types::{
    AuthResponse, ChangePassword, ClientInfo, Credentials, EmailToken, ForgotPassword,
    ProfileUpdate, Registration, ResetPassword, SessionInfo, User,
};
