//! In production, refuse requests whose `Host` header is not one of `ALLOWED_HOSTS`
//! (host-header injection into generated links, DNS rebinding).

use actix_web::{dev::ServiceRequest, http::StatusCode, HttpResponse};

use crate::{
    errors::WireFormat,
    extractors::{request_origin, trusted_proxies},
};

/// The lower-cased host names accepted; empty means no check.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts(pub Vec<String>);

impl AllowedHosts {
    fn allows(&self, host: &str) -> bool {
        let name = strip_port(host).to_ascii_lowercase();
        self.0.iter().any(|allowed| {
            allowed == "*"
                || *allowed == name
                || allowed
                    .strip_prefix('.')
                    .is_some_and(|suffix| name == suffix || name.ends_with(&format!(".{suffix}")))
        })
    }
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split(']')
            .next()
            .unwrap_or(host)
            .trim_start_matches('[');
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// The 400 for a request whose host is not allowed (none when no list is configured).
pub(super) fn refusal(req: &ServiceRequest, allowed: &AllowedHosts) -> Option<HttpResponse> {
    if allowed.0.is_empty() {
        return None;
    }
    // X-Forwarded-Host counts only from a trusted proxy, as everywhere else.
    let origin = request_origin(req.request(), trusted_proxies(req.request()));
    let host = origin
        .split_once("://")
        .map_or(origin.as_str(), |(_, host)| host);
    if allowed.allows(host) {
        return None;
    }
    Some(WireFormat::for_path(req.path()).render(
        StatusCode::BAD_REQUEST,
        format!("host {host:?} is not allowed"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_exactly_or_by_leading_dot_suffix() {
        let allowed = AllowedHosts(vec!["studio.example.com".into(), ".internal".into()]);
        assert!(allowed.allows("studio.example.com"));
        assert!(allowed.allows("Studio.Example.com:8443"));
        assert!(allowed.allows("api.internal"));
        assert!(!allowed.allows("evil.com"));
        assert!(!allowed.allows("studio.example.com.evil.com"));
    }
}
