//! Liveness and readiness probes.

use actix_web::{http::StatusCode, web, HttpResponse};
use serde_json::json;
use studio_core::DbPool;

use crate::errors::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(web::get().to(healthz)))
        .service(web::resource("/readyz").route(web::get().to(readyz)));
}

/// The process is alive and serving; no dependency is touched.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The database answers: the instance can take traffic.
async fn readyz(pool: web::Data<DbPool>) -> Result<HttpResponse, ApiError> {
    match pool.ping().await {
        Ok(()) => {
            Ok(HttpResponse::Ok()
                .json(json!({ "status": "ready", "database": pool.backend_name() })))
        }
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "the database does not answer",
            ))
        }
    }
}
