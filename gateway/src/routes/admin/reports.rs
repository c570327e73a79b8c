//! `/api/admin/usage` (every account's usage, validated like `/api/usage`) and
//! `/api/admin/audit` (the audit log, newest first).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use studio_audit::{AuditFilter, AuditLog};
use studio_core::DbPool;

use super::Paging;
use crate::{
    errors::{internal, ApiError},
    extractors::AdminUser,
    openapi::responses::{Admin, Internal, Invalid},
    routes::usage::Range,
};
use studio_audit::AuditEvent;
use studio_usage::AdminUsageReport;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/usage").route(web::get().to(usage)))
        .service(web::resource("/audit").route(web::get().to(audit)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(usage, audit))]
pub(crate) struct Doc;

/// Every account's usage over the range, with the heaviest users and keys.
#[utoipa::path(get, path = "/api/admin/usage", tag = "admin", operation_id = "adminUsage", security(("jwt" = [])),
    params(Range),
    responses((status = 200, description = "The report", body = AdminUsageReport),
        Invalid, Admin, Internal))]
async fn usage(
    pool: web::Data<DbPool>,
    _caller: AdminUser,
    range: web::Query<Range>,
) -> Result<HttpResponse, ApiError> {
    let report = studio_usage::admin_report(&pool, range.query()?)
        .await
        .map_err(|e| internal(&e))?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct AuditQuery {
    /// Who did it.
    actor_id: Option<String>,
    /// Whom it was done to.
    subject_id: Option<String>,
    /// An action, e.g. `auth.sign_in`.
    action: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    paging: Paging,
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/admin/audit", tag = "admin", operation_id = "adminAudit", security(("jwt" = [])),
    params(AuditQuery, Paging),
    responses((status = 200, description = "A page", body = studio_core::Page<AuditEvent>),
        Invalid, Admin, Internal))]
async fn audit(
    log: web::Data<AuditLog>,
    _caller: AdminUser,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = AuditFilter {
        actor_id: query.actor_id.clone(),
        subject_id: query.subject_id.clone(),
        action: query.action.clone(),
        involving: None,
    };
    let page = log
        .store()
        .list(&filter, &query.paging.request()?)
        .await
        .map_err(|e| internal(&e))?;
    Ok(HttpResponse::Ok().json(page))
}
