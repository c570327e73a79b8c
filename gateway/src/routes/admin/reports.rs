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
    routes::usage::Range,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/usage").route(web::get().to(usage)))
        .service(web::resource("/audit").route(web::get().to(audit)));
}

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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuditQuery {
    actor_id: Option<String>,
    subject_id: Option<String>,
    action: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

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
