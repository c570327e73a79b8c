//! `GET /api/usage?from&to&tz`: the caller's own totals by day and by model.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use studio_usage::{UsageQuery, UsageService};

use crate::{
    errors::{internal, ApiError},
    extractors::AuthUser,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/usage").route(web::get().to(report)));
}

/// `?from&to&tz`, checked the same way for a user's report and the operators'.
#[derive(Deserialize)]
pub struct Range {
    from: Option<String>,
    to: Option<String>,
    tz: Option<String>,
}

impl Range {
    pub fn query(&self) -> Result<UsageQuery, ApiError> {
        UsageQuery::parse(
            self.from.as_deref(),
            self.to.as_deref(),
            self.tz.as_deref(),
            studio_core::time::now(),
        )
        .map_err(|e| ApiError::invalid_field(e.param, e.message))
    }
}

async fn report(
    usage: web::Data<dyn UsageService>,
    user: AuthUser,
    range: web::Query<Range>,
) -> Result<HttpResponse, ApiError> {
    let report = usage
        .report(user.user_id(), range.query()?)
        .await
        .map_err(|e| internal(&e))?;
    Ok(HttpResponse::Ok().json(report))
}
