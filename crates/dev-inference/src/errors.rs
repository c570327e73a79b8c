//! The OpenAI error body, the only error shape this server speaks, so the gateway's error
//! relay is tested against exactly what a real upstream sends:
//! `{"error":{"message","type","param","code"}}`.

use std::borrow::Cow;
use std::fmt;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::options::Failure;

/// An error answer; every handler and extractor returns this.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: Cow<'static, str>,
    kind: &'static str,
    param: Option<&'static str>,
    code: Option<&'static str>,
    /// Seconds for `Retry-After`, sent with injected 429s as rate limiters do.
    retry_after: Option<u32>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            message: message.into(),
            kind,
            param: None,
            code: None,
            retry_after: None,
        }
    }

    fn code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    /// 400 for a request the client must fix; `param` names the offending field.
    pub(crate) fn invalid_request(
        param: Option<&'static str>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        let mut err = Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message);
        err.param = param;
        err
    }

    /// 400 for a body that is not the JSON it should be; serde's message has line and column.
    pub(crate) fn bad_json(err: &serde_json::Error) -> Self {
        Self::invalid_request(
            None,
            format!("We could not parse the JSON body of your request: {err}"),
        )
    }

    pub(crate) fn invalid_api_key() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "Incorrect API key provided. Send it as `Authorization: Bearer <key>`.",
        )
        .code("invalid_api_key")
    }

    pub(crate) fn not_found(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            format!("Unknown request URL: {method} {path}."),
        )
        .code("unknown_url")
    }

    pub(crate) fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request_error",
            format!("Method {method} is not allowed on {path}."),
        )
        .code("method_not_allowed")
    }

    pub(crate) fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            format!("The request body is larger than {limit} bytes."),
        )
        .code("payload_too_large")
    }

    pub(crate) fn internal(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", message)
    }

    /// The error a `fail=` model option asked for, shaped like the real thing.
    pub(crate) fn injected(failure: Failure) -> Self {
        match failure {
            Failure::BadRequest => {
                Self::invalid_request(None, "Injected failure: the upstream rejected the request.")
                    .code("injected_bad_request")
            }
            Failure::RateLimited => {
                let mut err = Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limit_error",
                    "Injected failure: rate limit reached, retry after 7 seconds.",
                )
                .code("rate_limit_exceeded");
                err.retry_after = Some(7);
                err
            }
            Failure::Internal => {
                Self::internal("Injected failure: the upstream hit an internal error.")
                    .code("internal_error")
            }
            Failure::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                "Injected failure: the upstream is overloaded, try again later.",
            )
            .code("service_unavailable"),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.kind,
            self.message
        )
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    param: Option<&'a str>,
    code: Option<&'a str>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds));
        }
        response.json(Body {
            error: Detail {
                message: &self.message,
                kind: self.kind,
                param: self.param,
                code: self.code,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body_of(err: &ApiError) -> serde_json::Value {
        let bytes = err.error_response().into_body().try_into_bytes().unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn the_body_has_all_four_openai_fields() {
        let err = ApiError::invalid_request(Some("messages"), "messages must not be empty");
        assert_eq!(
            body_of(&err),
            serde_json::json!({"error": {
                "message": "messages must not be empty",
                "type": "invalid_request_error",
                "param": "messages",
                "code": null,
            }})
        );
    }

    #[test]
    fn an_injected_429_says_when_to_retry() {
        let response = ApiError::injected(Failure::RateLimited).error_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "7");
    }
}
