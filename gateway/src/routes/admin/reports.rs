//! `/api/admin/usage` (every account's usage, validated like `/api/usage`) and
//! `/api/admin/audit` (the audit log, newest first).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use studio_audit::{AuditFilter, AuditLog};
use studio_core::DbPool;
use studio_usage::UsageQuery;

use super::Paging;
use crate::{
    errors::{internal, ApiError},
    extractors::AdminUser,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/usage").route(web::get().to(usage)))
        .service(web::resource("/audit").route(web::get().to(audit)));
}

#[derive(Deserialize)]
struct Range {
    from: Option<String>,
    to: Option<String>,
    tz: Option<String>,
}

async fn usage(
    pool: web::Data<DbPool>,
    _caller: AdminUser,
    range: web::Query<Range>,
) -> Result<HttpResponse, ApiError> {
    let query = UsageQuery::parse(
        range.from.as_deref(),
        range.to.as_deref(),
        range.tz.as_deref(),
        studio_core::time::now(),
    )
    .map_err(|e| ApiError::invalid_field(e.param, e.message))?;
    let report = studio_usage::admin_report(&pool, query)
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
    };
    let page = log
        .store()
        .list(&filter, &query.paging.request()?)
        .await
        .map_err(|e| internal(&e))?;
    Ok(HttpResponse::Ok().json(page))
}
