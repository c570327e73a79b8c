//! The outer layer every request passes: its id and log line, the host check, JSON error
//! bodies and security headers. One layer, not four: each `from_fn` layer costs two boxed
//! futures and a dynamic call per request.

use std::{rc::Rc, time::Instant};

use actix_web::{
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    Error, HttpMessage,
};
use tracing::Instrument;

use super::{
    allowed_hosts, json_errors::json_errors, request_id, AllowedHosts, RequestId, SecurityHeaders,
};

/// What the edge checks and adds, fixed at start-up (one per worker, shared by its requests).
#[derive(Clone)]
pub struct Edge(Rc<(SecurityHeaders, AllowedHosts)>);

impl Edge {
    /// `allowed_hosts` is only enforced in production (empty: no check).
    pub fn new(production: bool, allowed_hosts: &[String]) -> Self {
        let hosts = if production {
            allowed_hosts.to_vec()
        } else {
            Vec::new()
        };
        Self(Rc::new((
            SecurityHeaders::new(production),
            AllowedHosts(hosts),
        )))
    }
}

pub async fn edge<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
    settings: Edge,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let (security, hosts) = &*settings.0;
    let id = request_id::request_id(&req);
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.path(),
        request_id = id.to_str().unwrap_or_default(),
    );
    req.extensions_mut().insert(RequestId(id.clone()));
    let started = Instant::now();
    let mut response = match allowed_hosts::refusal(&req, hosts) {
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
