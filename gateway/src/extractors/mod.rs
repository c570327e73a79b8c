//! Extractors carrying cross-cutting concerns; a handler's signature says what it needs.

mod auth_user;
mod client;

pub use auth_user::{bearer_token, AuthUser};
pub use client::{client_ip, Client};
