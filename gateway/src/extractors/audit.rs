//! `Audit`: the audit log with who is calling from where (IP, user agent, request id) filled in,
//! so a handler records an event in one line and never waits for the database.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpMessage, HttpRequest};
use studio_audit::{AuditEvent, AuditLog, Outcome};

use super::{client_ip, trusted_proxies};
use crate::{errors::ApiError, middleware::RequestId};

pub struct Audit {
    log: web::Data<AuditLog>,
    ip: Option<String>,
    user_agent: Option<String>,
    request_id: Option<String>,
}

impl Audit {
    pub fn from_request_parts(req: &HttpRequest) -> Option<Self> {
        let log = req.app_data::<web::Data<AuditLog>>()?.clone();
        Some(Self {
            log,
            ip: client_ip(req, trusted_proxies(req)).map(|ip| ip.to_string()),
            user_agent: req
                .headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(512).collect()),
            request_id: req
                .extensions()
                .get::<RequestId>()
                .and_then(|id| id.0.to_str().ok().map(str::to_owned)),
        })
    }

    /// Records `event` with this request's client and id.
    pub fn record(&self, mut event: AuditEvent) {
        event.ip_address = self.ip.clone();
        event.user_agent = self.user_agent.clone();
        event.request_id = self.request_id.clone();
        self.log.record(event);
    }

    /// `action` done by `actor` to `subject`, which succeeded.
    pub fn ok(&self, action: &str, actor: Option<&str>, subject: Option<&str>) {
        self.record(
            AuditEvent::new(action, Outcome::Succeeded)
                .actor(actor)
                .subject(subject),
        );
    }

    /// `action` attempted by `actor` on `subject`, refused for `reason`.
    pub fn refused(&self, action: &str, actor: Option<&str>, subject: Option<&str>, reason: &str) {
        self.record(
            AuditEvent::new(action, Outcome::Refused)
                .actor(actor)
                .subject(subject)
                .details(serde_json::json!({ "reason": reason })),
        );
    }

    /// Records the outcome of `result`: succeeded, or refused with the error's code.
    pub fn outcome<T>(
        &self,
        action: &str,
        actor: Option<&str>,
        subject: Option<&str>,
        result: &Result<T, ApiError>,
    ) {
        match result {
            Ok(_) => self.ok(action, actor, subject),
            Err(error) => self.refused(action, actor, subject, error.code),
        }
    }
}

impl FromRequest for Audit {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::from_request_parts(req).ok_or_else(ApiError::internal))
    }
}
