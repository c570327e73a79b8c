//! Liveness and readiness probes.

use actix_web::{http::StatusCode, web, HttpResponse};
use serde_json::json;
use studio_core::DbPool;
use studio_usage::UsageWriter;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(web::get().to(healthz)))
        .service(web::resource("/readyz").route(web::get().to(readyz)));
}

/// The process is alive and serving; no dependency is touched.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Whether the instance can take traffic. With the database down it still can (API keys are
/// cached and usage goes to the journal): 503 only when usage could not be kept either.
async fn readyz(
    pool: web::Data<DbPool>,
    usage: web::Data<UsageWriter>,
    limits: web::Data<studio_limits::Limits>,
) -> HttpResponse {
    let database = pool.ping().await;
    let writer = usage.state();
    if let Err(error) = &database {
        tracing::warn!(%error, "readiness check: the database does not answer");
    }
    let body = json!({
        "status": if database.is_ok() { "ready" } else { "degraded" },
        "database": if database.is_ok() { pool.backend_name() } else { "unavailable" },
        "usageWriter": writer,
        "limiter": limits.store().state(),
    });
    if database.is_err() && !writer.journal_writable {
        return HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE).json(json!({
            "error": {
                "code": "database_unavailable",
                "message": "the database does not answer and usage cannot be journaled",
                "details": body,
            }
        }));
    }
    HttpResponse::Ok().json(body)
}
