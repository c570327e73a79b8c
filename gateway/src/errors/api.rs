//! The `/api/*` error body: `{"error":{"code","message","details"}}`.

use actix_web::{
    http::{header, StatusCode},
    HttpResponse, ResponseError,
};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
    pub retry_after_secs: Option<u64>,
}

/// The body of every `/api` error (its schema in the OpenAPI document is derived from it).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ApiErrorBody, example = json!({"error": {"code": "validation_error",
    "message": "email is not a valid address", "details": {"field": "email"}}}))]
pub(crate) struct Body<'a> {
    #[schema(inline)]
    error: Inner<'a>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Inner<'a> {
    /// A stable, machine-readable code: `validation_error`, `invalid_token`, `not_found`, …
    code: &'a str,
    /// What went wrong and what to fix, for people.
    message: &'a str,
    /// More about the error, e.g. `{"field": "email"}` for a validation error.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    details: Option<&'a Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
            retry_after_secs: None,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "something went wrong on our side; try again",
        )
    }

    /// A validation problem with the offending field named in `details.field`.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::bad_request("validation_error", message)
            .with_details(serde_json::json!({ "field": field }))
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    pub fn to_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(secs) = self.retry_after_secs {
            builder.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        builder.json(Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                details: self.details.as_ref(),
            },
        })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.to_response()
    }
}
