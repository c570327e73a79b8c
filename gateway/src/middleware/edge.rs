//! The outer layer every request passes: its id and log line, the host check, JSON error
//! bodies and security headers. One layer, not four: each `from_fn` layer costs two boxed
//! futures and a dynamic call per request.

use std::time::Instant;

use actix_web::{
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    Error, HttpMessage,
};
use tracing::Instrument;

use super::{allowed_hosts, json_errors::json_errors, request_id, RequestId, SecurityHeaders};

pub async fn edge<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
    security: SecurityHeaders,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let id = request_id::request_id(&req);
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.path(),
        request_id = id.to_str().unwrap_or_default(),
    );
    req.extensions_mut().insert(RequestId(id.clone()));
    let started = Instant::now();
    let mut response = match allowed_hosts::refusal(&req) {
        Some(refusal) => req.into_response(refusal).map_into_right_body(),
        None => json_errors(req, next).instrument(span.clone()).await?,
    };
    security.apply(response.headers_mut());
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(status, latency_ms, "request failed");
        } else {
            tracing::info!(status, latency_ms, "request finished");
        }
    });
    response
        .headers_mut()
        .insert(request_id::REQUEST_ID_HEADER, id);
    Ok(response)
}
