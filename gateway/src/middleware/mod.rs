//! Cross-cutting request handling: request ids and logging, JSON error bodies, host checks,
//! security headers (all in one layer: [`edge`]) and CORS.

mod allowed_hosts;
mod cors;
mod edge;
mod json_errors;
mod request_id;
mod security_headers;

use allowed_hosts::AllowedHosts;
pub use cors::cors;
pub use edge::{edge, Edge};
pub use request_id::RequestId;
use security_headers::SecurityHeaders;
