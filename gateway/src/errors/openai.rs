//! The `/v1/*` error body, exactly as OpenAI sends it, so the official SDKs raise the right exception.

use actix_web::{
    http::{header, StatusCode},
    HttpResponse, ResponseError,
};
use std::borrow::Cow;

use serde::Serialize;

#[derive(Debug, Clone)]
pub struct OpenAiError {
    pub status: StatusCode,
    pub message: String,
    pub kind: Cow<'static, str>,
    pub param: Option<String>,
    pub code: Option<String>,
    pub retry_after: Option<String>,
    /// The limits that applied (429s say where the caller stands).
    pub rate: Option<studio_limits::RateInfo>,
}

/// The body of every `/v1` error, OpenAI's (its schema in the OpenAPI document is derived from it).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = OpenAiErrorBody, example = json!({"error": {"message": "Incorrect API key provided.",
    "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}))]
pub(crate) struct Body<'a> {
    #[schema(inline)]
    error: Inner<'a>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Inner<'a> {
    message: &'a str,
    /// `invalid_request_error`, `rate_limit_exceeded`, `server_error`, or an upstream's own.
    #[serde(rename = "type")]
    kind: &'a str,
    /// The request field at fault, if one is.
    #[schema(required = true)]
    param: Option<&'a str>,
    #[schema(required = true)]
    code: Option<&'a str>,
}

impl OpenAiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        let kind = match status.as_u16() {
            401 => "invalid_request_error",
            403 => "permission_error",
            404 => "invalid_request_error",
            429 => "rate_limit_exceeded",
            s if s >= 500 => "server_error",
            _ => "invalid_request_error",
        };
        Self {
            status,
            message: message.into(),
            kind: Cow::Borrowed(kind),
            param: None,
            code: None,
            retry_after: None,
            rate: None,
        }
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    pub fn with_type(mut self, kind: impl Into<Cow<'static, str>>) -> Self {
        self.kind = kind.into();
        self
    }

    pub fn with_retry_after(mut self, value: impl Into<String>) -> Self {
        self.retry_after = Some(value.into());
        self
    }

    pub fn with_rate(mut self, rate: studio_limits::RateInfo) -> Self {
        self.rate = Some(rate);
        self
    }

    pub fn to_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(value) = &self.retry_after {
            builder.insert_header((header::RETRY_AFTER, value.as_str()));
        }
        if let Some(rate) = &self.rate {
            super::rate_headers::insert(&mut builder, rate);
        }
        builder.json(Body {
            error: Inner {
                message: &self.message,
                kind: &self.kind,
                param: self.param.as_deref(),
                code: self.code.as_deref(),
            },
        })
    }
}

impl std::fmt::Display for OpenAiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl ResponseError for OpenAiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.to_response()
    }
}

/// `/v1` bodies are read as bytes (passed through or parsed by the domain), so the content
/// type is checked by hand: a missing one is tolerated, a different one (curl's default form
/// encoding) is not.
/// Returns the 415 to answer, if any.
pub fn not_json(req: &actix_web::HttpRequest) -> Option<OpenAiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    content_type
        .is_some_and(|ct| !ct.starts_with("application/json"))
        .then(|| {
            OpenAiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Type must be application/json",
            )
        })
}
