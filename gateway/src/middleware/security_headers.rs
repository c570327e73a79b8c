//! Security headers on every response.

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

/// The headers every response gets unless it set its own.
pub struct SecurityHeaders(Vec<(HeaderName, HeaderValue)>);

impl SecurityHeaders {
    pub fn new(production: bool) -> Self {
        let mut headers = vec![
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "strict-origin-when-cross-origin"),
        ];
        if production {
            headers.push((
                "strict-transport-security",
                "max-age=31536000; includeSubDomains",
            ));
        }
        Self(
            headers
                .into_iter()
                .map(|(name, value)| {
                    (
                        HeaderName::from_static(name),
                        HeaderValue::from_static(value),
                    )
                })
                .collect(),
        )
    }

    /// Adds each header the response has not set (as actix's `DefaultHeaders` does).
    pub(super) fn apply(&self, headers: &mut HeaderMap) {
        for (name, value) in self.0.iter() {
            if !headers.contains_key(name) {
                headers.insert(name.clone(), value.clone());
            }
        }
    }
}
