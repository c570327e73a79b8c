//! Extractor configuration: bad JSON, query strings and paths become clear 4xx JSON errors.

use actix_web::{
    error::{InternalError, JsonPayloadError, PathError, QueryPayloadError},
    http::StatusCode,
    web, HttpRequest,
};

use super::WireFormat;

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, req| {
            let (status, message) = match &err {
                JsonPayloadError::OverflowKnownLength { limit, .. }
                | JsonPayloadError::Overflow { limit } => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("request body is larger than the limit of {limit} bytes"),
                ),
                JsonPayloadError::ContentType => (
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "Content-Type must be application/json".to_owned(),
                ),
                JsonPayloadError::Deserialize(e) if e.is_data() => (
                    StatusCode::BAD_REQUEST,
                    format!("invalid request body: {e}"),
                ),
                JsonPayloadError::Deserialize(e) => {
                    (StatusCode::BAD_REQUEST, format!("malformed JSON: {e}"))
                }
                other => (
                    StatusCode::BAD_REQUEST,
                    format!("could not read the request body: {other}"),
                ),
            };
            render(err, req, status, message)
        })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, req| {
        let message = format!("invalid query string: {err}");
        render(err, req, StatusCode::BAD_REQUEST, message)
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, req| {
        let message = format!("invalid path: {err}");
        render(err, req, StatusCode::NOT_FOUND, message)
    })
}

fn render<E: std::fmt::Debug + std::fmt::Display + 'static>(
    err: E,
    req: &HttpRequest,
    status: StatusCode,
    message: String,
) -> actix_web::Error {
    let response = WireFormat::for_path(req.path()).render(status, message);
    InternalError::from_response(err, response).into()
}
