//! `GET /api/usage?from&to`: the caller's own token totals by day and by model.

use actix_web::{web, HttpResponse};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde::Deserialize;
use studio_usage::{UsageQuery, UsageService};

use crate::{
    errors::{internal, ApiError},
    extractors::AuthUser,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/usage").route(web::get().to(report)));
}

#[derive(Deserialize)]
struct Range {
    from: Option<String>,
    to: Option<String>,
}

/// A day (`2026-11-27`, the whole day) or an RFC 3339 instant.
fn parse(field: &str, value: &str, end_of_day: bool) -> Result<NaiveDateTime, ApiError> {
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        let start = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        return Ok(if end_of_day {
            start + Duration::days(1)
        } else {
            start
        });
    }
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|t| t.naive_utc())
        .map_err(|_| {
            ApiError::invalid_field(
                field,
                format!("{field} must be a date (YYYY-MM-DD) or an RFC 3339 time"),
            )
        })
}

async fn report(
    usage: web::Data<dyn UsageService>,
    user: AuthUser,
    range: web::Query<Range>,
) -> Result<HttpResponse, ApiError> {
    let to = match &range.to {
        Some(value) => parse("to", value, true)?,
        None => studio_core::time::now() + Duration::seconds(1),
    };
    let from = match &range.from {
        Some(value) => parse("from", value, false)?,
        None => to - Duration::days(30),
    };
    if from >= to {
        return Err(ApiError::invalid_field("from", "from must be before to"));
    }
    let report = usage
        .report(user.user_id(), UsageQuery { from, to })
        .await
        .map_err(|e| internal(&e))?;
    Ok(HttpResponse::Ok().json(report))
}
