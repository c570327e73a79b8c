//! `GET /api/usage?from&to&tz`: the caller's own totals by day and by model.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use studio_usage::{UsageQuery, UsageReport, UsageService};

use crate::{
    errors::{internal, ApiError},
    extractors::AuthUser,
    openapi::responses::{Internal, Invalid, Jwt},
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/usage").route(web::get().to(report)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(report))]
pub(crate) struct Doc;

/// `?from&to&tz`, checked the same way for a user's report and the operators'.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Range {
    /// A day (`YYYY-MM-DD`, in `tz`) or an RFC 3339 time; 30 days before `to` when absent.
    #[param(
        pattern = r"^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|[+-][01][0-9]:[0-5][0-9]))?$"
    )]
    from: Option<String>,
    /// A day (inclusive) or an RFC 3339 time; now when absent. At most 366 days after `from`.
    #[param(
        pattern = r"^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|[+-][01][0-9]:[0-5][0-9]))?$"
    )]
    to: Option<String>,
    /// An IANA time zone for the days (`UTC` when absent).
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

/// The caller's token totals by day and by model.
#[utoipa::path(get, path = "/api/usage", tag = "usage", operation_id = "getUsage", security(("jwt" = [])), params(Range),
    responses((status = 200, description = "The report", body = UsageReport),
        Invalid, Jwt, Internal))]
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
