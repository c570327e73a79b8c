//! Extractors carrying cross-cutting concerns; a handler's signature says what it needs.

mod admin_user;
mod api_caller;
mod audit;
mod auth_user;
mod bearer;
mod client;

pub use admin_user::AdminUser;
pub use api_caller::ApiCaller;
pub use audit::Audit;
pub use auth_user::AuthUser;
pub use bearer::bearer_token;
pub use client::{client_ip, request_origin, trusted_proxies, Client};
