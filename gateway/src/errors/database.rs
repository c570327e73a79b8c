//! A database failure on the wire: 503 with `Retry-After` when the database is down, busy or
//! dropped the connection (the request can simply be retried), 500 for anything else.

use actix_web::http::StatusCode;
use studio_core::DbError;

use super::ApiError;

pub fn database(cause: &DbError) -> ApiError {
    if cause.is_unavailable() {
        tracing::warn!(%cause, "database unavailable");
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "the database is unavailable; try again in a moment",
        )
        .with_retry_after(1);
    }
    super::domain::internal(cause)
}
