//! `GET /metrics` on the main listener: only with `STUDIO_METRICS_TOKEN` set, and only for a
//! caller presenting it as a bearer token (404 without a token configured, 401 otherwise).

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use studio_core::DbPool;
use studio_usage::UsageWriter;

use crate::{
    errors::WireFormat,
    extractors::bearer_token,
    metrics::Exporter,
    openapi::responses::{Jwt, Missing},
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/metrics").route(web::get().to(scrape)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(scrape))]
pub(crate) struct Doc;

/// Equal without stopping at the first difference (the token is a secret).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The Prometheus text exposition (version 0.0.4) of every Studio series; README "Metrics"
/// lists them. Served here only when `STUDIO_METRICS_TOKEN` is set (and on the listener of
/// `STUDIO_METRICS_BIND`, without a token); otherwise this path does not exist.
#[utoipa::path(get, path = "/metrics", tag = "metrics", operation_id = "scrapeMetrics",
    security(("metricsToken" = [])),
    responses(
        (status = 200, description = "The series, in Prometheus' text format",
            content_type = "text/plain; version=0.0.4", body = String,
            example = "# TYPE studio_http_requests_total counter\nstudio_http_requests_total{route=\"/v1/models\",method=\"GET\",status=\"200\"} 3\n"),
        Jwt, Missing,
    ))]
async fn scrape(
    req: HttpRequest,
    exporter: web::Data<Exporter>,
    pool: web::Data<DbPool>,
    usage: web::Data<UsageWriter>,
) -> HttpResponse {
    let Some(token) = exporter.token() else {
        return WireFormat::Api.render(
            StatusCode::NOT_FOUND,
            format!("no such endpoint: {} {}", req.method(), req.path()),
        );
    };
    if !bearer_token(&req).is_some_and(|given| same(given.as_bytes(), token.as_bytes())) {
        let mut response = WireFormat::Api.render(
            StatusCode::UNAUTHORIZED,
            "send the metrics token as Authorization: Bearer <token>",
        );
        response.headers_mut().insert(
            actix_web::http::header::WWW_AUTHENTICATE,
            actix_web::http::header::HeaderValue::from_static("Bearer"),
        );
        return response;
    }
    render(&exporter, &pool, &usage)
}

/// The Prometheus text (shared with the metrics listener).
pub fn render(exporter: &Exporter, pool: &DbPool, usage: &UsageWriter) -> HttpResponse {
    match exporter.render(pool, usage) {
        Some(text) => HttpResponse::Ok()
            .content_type(crate::metrics::CONTENT_TYPE)
            .body(text),
        None => WireFormat::Api.render(StatusCode::NOT_FOUND, "metrics are off"),
    }
}

#[cfg(test)]
mod tests {
    use super::same;

    #[test]
    fn tokens_match_only_when_equal() {
        assert!(same(b"secret", b"secret"));
        assert!(!same(b"secret", b"secreT"));
        assert!(!same(b"secret", b"secret2"));
    }
}
