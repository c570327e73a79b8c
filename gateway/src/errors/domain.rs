//! Each domain crate's error mapped to the wire, once.

use actix_web::http::StatusCode;
use serde_json::json;
use studio_api_keys::ApiKeyError;
use studio_auth::{oauth::OAuthError, AuthError};
use studio_chat::ChatError;
use studio_conversations::ConversationError;
use studio_images::ImageError;

use super::{database::database, ApiError, OpenAiError};

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::InvalidField { field, message } => ApiError::invalid_field(field, message),
            AuthError::EmailTaken => {
                ApiError::new(StatusCode::CONFLICT, "email_taken", error.to_string())
            }
            AuthError::InvalidCredentials => {
                ApiError::unauthorized("invalid_credentials", error.to_string())
            }
            AuthError::WrongCurrentPassword => {
                ApiError::bad_request("wrong_password", error.to_string())
                    .with_details(json!({ "field": "currentPassword" }))
            }
            AuthError::MissingToken => ApiError::unauthorized("missing_token", error.to_string()),
            AuthError::InvalidToken => ApiError::unauthorized("invalid_token", error.to_string()),
            AuthError::InvalidRefreshToken => {
                ApiError::unauthorized("invalid_refresh_token", error.to_string())
            }
            AuthError::NotFound => ApiError::not_found("not found"),
            AuthError::AccountDisabled => {
                ApiError::new(StatusCode::FORBIDDEN, "account_disabled", error.to_string())
            }
            AuthError::LastAdmin => {
                ApiError::new(StatusCode::CONFLICT, "last_admin", error.to_string())
            }
            AuthError::AlreadyVerified => {
                ApiError::new(StatusCode::CONFLICT, "already_verified", error.to_string())
            }
            AuthError::InvalidEmailToken => {
                ApiError::bad_request("invalid_email_token", error.to_string())
                    .with_details(json!({ "field": "token" }))
            }
            AuthError::Busy => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", error.to_string())
                    .with_retry_after(1)
            }
            AuthError::RateLimited { retry_after_secs } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                error.to_string(),
            )
            .with_retry_after(retry_after_secs),
            AuthError::Database(cause) => database(&cause),
            AuthError::Internal(_) => internal(&error),
        }
    }
}

impl From<ApiKeyError> for ApiError {
    fn from(error: ApiKeyError) -> Self {
        match error {
            ApiKeyError::InvalidField { field, message } => ApiError::invalid_field(field, message),
            ApiKeyError::NotFound => ApiError::not_found(error.to_string()),
            ApiKeyError::TooManyKeys { .. } => {
                ApiError::new(StatusCode::CONFLICT, "too_many_keys", error.to_string())
            }
            ApiKeyError::InvalidKey => ApiError::unauthorized("invalid_api_key", error.to_string()),
            ApiKeyError::Database(cause) => database(&cause),
        }
    }
}

impl From<ChatError> for OpenAiError {
    fn from(error: ChatError) -> Self {
        let message = error.to_string();
        let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_GATEWAY);
        let mapped = OpenAiError::new(status, message.clone());
        match error {
            ChatError::InvalidRequest { param, .. } => match param {
                Some(param) => mapped.with_param(param),
                None => mapped,
            },
            ChatError::ModelNotFound(_) => mapped.with_param("model").with_code("model_not_found"),
            ChatError::Upstream {
                error, retry_after, ..
            } => {
                let mut mapped = OpenAiError::new(status, error.message.unwrap_or(message));
                if let Some(kind) = error.kind {
                    mapped = mapped.with_type(kind);
                }
                if let Some(param) = error.param {
                    mapped = mapped.with_param(param);
                }
                match error.code {
                    Some(serde_json::Value::String(code)) => mapped = mapped.with_code(code),
                    Some(serde_json::Value::Number(code)) => {
                        mapped = mapped.with_code(code.to_string())
                    }
                    _ => {}
                }
                match retry_after {
                    Some(value) => mapped.with_retry_after(value),
                    None => mapped,
                }
            }
            ChatError::BadGateway(_) => mapped.with_code("upstream_unavailable"),
            ChatError::Timeout(_) => mapped.with_code("upstream_timeout"),
            ChatError::Limited(refusal) => {
                use studio_limits::RefusalKind;
                let (kind, code) = match refusal.kind {
                    RefusalKind::Requests | RefusalKind::Concurrency => {
                        ("requests", "rate_limit_exceeded")
                    }
                    RefusalKind::Tokens => ("tokens", "rate_limit_exceeded"),
                    RefusalKind::Budget => ("insufficient_quota", "insufficient_quota"),
                };
                mapped
                    .with_type(kind)
                    .with_code(code)
                    .with_retry_after(refusal.retry_after_secs.to_string())
                    .with_rate(refusal.rate)
            }
        }
    }
}

impl From<ConversationError> for ApiError {
    fn from(error: ConversationError) -> Self {
        let message = error.to_string();
        match error {
            ConversationError::InvalidField { field, message } => {
                ApiError::invalid_field(field, message)
            }
            ConversationError::NotFound(_) => ApiError::not_found(message),
            ConversationError::Archived => ApiError::bad_request("session_archived", message),
            ConversationError::UnknownModel(_) => ApiError::invalid_field("model", message),
            ConversationError::Database(cause) => database(&cause),
        }
    }
}

impl From<ImageError> for OpenAiError {
    fn from(error: ImageError) -> Self {
        let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_GATEWAY);
        let message = error.to_string();
        match error {
            ImageError::InvalidRequest { param, .. } => {
                let error = OpenAiError::new(status, message);
                match param {
                    Some(param) => error.with_param(param),
                    None => error,
                }
            }
            ImageError::ModelNotFound(_) => OpenAiError::new(status, message)
                .with_param("model")
                .with_code("model_not_found"),
            ImageError::Upstream {
                status,
                error,
                retry_after,
            } => upstream_error(
                status,
                error.message.unwrap_or(message),
                error.kind,
                error.param,
                error.code,
                retry_after,
            ),
            ImageError::BadGateway(_) => {
                OpenAiError::new(status, message).with_code("upstream_unavailable")
            }
            ImageError::Timeout(_) => {
                OpenAiError::new(status, message).with_code("upstream_timeout")
            }
            ImageError::Storage(cause) => {
                tracing::error!(%cause, "image storage failed");
                OpenAiError::new(status, message).with_code("storage_unavailable")
            }
            ImageError::Database(cause) => {
                tracing::error!(%cause, "image database failed");
                OpenAiError::new(status, "image storage is unavailable; try again later")
                    .with_code("storage_unavailable")
            }
            ImageError::NotFound | ImageError::Forbidden => OpenAiError::new(status, message),
        }
    }
}

/// The gallery and media files speak the `/api` error body.
impl From<ImageError> for ApiError {
    fn from(error: ImageError) -> Self {
        let message = error.to_string();
        match error {
            ImageError::InvalidRequest { param, .. } => match param {
                Some(param) => ApiError::invalid_field(&param, message),
                None => ApiError::bad_request("validation_error", message),
            },
            ImageError::NotFound | ImageError::ModelNotFound(_) => ApiError::not_found(message),
            ImageError::Forbidden => {
                ApiError::new(StatusCode::FORBIDDEN, "invalid_signature", message)
            }
            ImageError::Storage(cause) => {
                tracing::error!(%cause, "image storage failed");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    message,
                )
            }
            ImageError::Database(cause) => {
                tracing::error!(%cause, "image database failed");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "image storage is unavailable; try again later",
                )
            }
            other => {
                let status =
                    StatusCode::from_u16(other.status()).unwrap_or(StatusCode::BAD_GATEWAY);
                ApiError::new(status, super::generic_code(status), message)
            }
        }
    }
}

impl From<OAuthError> for ApiError {
    fn from(error: OAuthError) -> Self {
        let message = error.to_string();
        match error {
            OAuthError::UnknownProvider | OAuthError::NotFound => ApiError::not_found(message),
            OAuthError::InvalidRedirect => ApiError::invalid_field("redirectTo", message),
            OAuthError::InvalidCode => ApiError::unauthorized("invalid_code", message),
            OAuthError::AccountDisabled => {
                ApiError::new(StatusCode::FORBIDDEN, "account_disabled", message)
            }
            OAuthError::LastSignInMethod => {
                ApiError::new(StatusCode::CONFLICT, "last_sign_in_method", message)
            }
            OAuthError::RateLimited { retry_after_secs } => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
                    .with_retry_after(retry_after_secs)
            }
            OAuthError::Provider(_) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "provider_error", message)
            }
            OAuthError::Database(cause) => database(&cause),
            OAuthError::Internal(_) => internal(&error),
            other => ApiError::bad_request(other.code(), message),
        }
    }
}

/// An upstream's own 4xx error, passed on with its status, type, param and code.
fn upstream_error(
    status: u16,
    message: String,
    kind: Option<String>,
    param: Option<String>,
    code: Option<serde_json::Value>,
    retry_after: Option<String>,
) -> OpenAiError {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut mapped = OpenAiError::new(status, message);
    if let Some(kind) = kind {
        mapped = mapped.with_type(kind);
    }
    if let Some(param) = param {
        mapped = mapped.with_param(param);
    }
    match code {
        Some(serde_json::Value::String(code)) => mapped = mapped.with_code(code),
        Some(serde_json::Value::Number(code)) => mapped = mapped.with_code(code.to_string()),
        _ => {}
    }
    match retry_after {
        Some(value) => mapped.with_retry_after(value),
        None => mapped,
    }
}

/// Logs the cause (with the request's span) and answers a generic 500.
pub fn internal(error: &dyn std::error::Error) -> ApiError {
    tracing::error!(%error, "internal error");
    ApiError::internal()
}
