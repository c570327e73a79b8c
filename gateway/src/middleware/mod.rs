//! Cross-cutting request handling: request ids and logging, JSON error bodies, host checks,
//! security headers and CORS.

mod allowed_hosts;
mod cors;
mod json_errors;
mod request_id;
mod security_headers;

pub use allowed_hosts::{check_allowed_hosts, AllowedHosts};
pub use cors::cors;
pub use json_errors::json_errors;
pub use request_id::{request_id_and_log, RequestId};
pub use security_headers::security_headers;
