//! The two error wire formats, and the one place where framework errors become JSON.
//!
//! `/api/*` answers `{"error":{"code","message","details"}}`; `/v1/*` answers OpenAI's
//! `{"error":{"message","type","param","code"}}`. Domain errors are mapped to these in
//! `errors::domain`, once per crate.

pub(crate) mod api;
mod database;
mod domain;
pub(crate) mod openai;
mod payload;
pub mod rate_headers;

pub use api::ApiError;
pub use domain::internal;
pub use openai::{not_json, OpenAiError};
pub use payload::{json_config, path_config, query_config};

use actix_web::{http::StatusCode, HttpResponse};

/// Which error body a path speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireFormat {
    Api,
    OpenAi,
}

impl WireFormat {
    pub fn for_path(path: &str) -> Self {
        if path == "/v1" || path.starts_with("/v1/") {
            WireFormat::OpenAi
        } else {
            WireFormat::Api
        }
    }

    /// Renders a generic error (one with no domain-specific code) in this format.
    pub fn render(self, status: StatusCode, message: impl Into<String>) -> HttpResponse {
        let message = message.into();
        match self {
            WireFormat::Api => ApiError::new(status, generic_code(status), message).to_response(),
            WireFormat::OpenAi => OpenAiError::new(status, message)
                .with_code(generic_code(status))
                .to_response(),
        }
    }
}

/// The `code` used when nothing more specific is known.
pub fn generic_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        409 => "conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "unprocessable_entity",
        429 => "rate_limited",
        502 => "bad_gateway",
        503 => "service_unavailable",
        504 => "gateway_timeout",
        s if s >= 500 => "internal_error",
        _ => "bad_request",
    }
}
