//! Liveness and readiness probes.

use actix_web::{http::StatusCode, web, HttpResponse};
use serde::Serialize;
use serde_json::json;
use studio_core::DbPool;
use studio_limits::LimiterState;
use studio_usage::{UsageWriter, UsageWriterState};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(web::get().to(healthz)))
        .service(web::resource("/readyz").route(web::get().to(readyz)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(healthz, readyz))]
pub(crate) struct Doc;

#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"status": "ok"}))]
struct Alive {
    /// Always `ok`.
    status: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct Readiness {
    /// `ready`, or `degraded` while the database does not answer.
    status: &'static str,
    /// `sqlite` or `postgres`, or `unavailable`.
    database: &'static str,
    usage_writer: UsageWriterState,
    limiter: LimiterState,
}

/// The process is alive and serving; no dependency is touched.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "Alive", body = Alive)))]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Alive { status: "ok" })
}

/// Whether the instance can take traffic. With the database down it still can (API keys are
/// cached and usage goes to the journal): 503 only when usage could not be kept either.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "Can take traffic (`degraded`: without the database)",
        body = Readiness),
    (status = 503, description = "Neither the database nor the usage journal can take usage; \
        `details` is the readiness body", body = crate::errors::api::Body)))]
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
    let body = Readiness {
        status: if database.is_ok() {
            "ready"
        } else {
            "degraded"
        },
        database: if database.is_ok() {
            pool.backend_name()
        } else {
            "unavailable"
        },
        usage_writer: writer.clone(),
        limiter: limits.store().state(),
    };
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
