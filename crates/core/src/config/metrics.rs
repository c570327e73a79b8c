//! Where Prometheus reads `/metrics`: its own listener (`STUDIO_METRICS_BIND`), and/or the main
//! listener behind a bearer token (`STUDIO_METRICS_TOKEN`). Neither set: no metrics at all.

use std::net::SocketAddr;

use super::parse::Vars;

/// A token that guards operational data should not be guessable.
const MIN_PRODUCTION_TOKEN_BYTES: usize = 16;

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    pub(super) fn metrics_bind(&mut self) -> Option<SocketAddr> {
        let raw = self.optional("STUDIO_METRICS_BIND")?;
        match raw.parse() {
            Ok(addr) => Some(addr),
            Err(_) => {
                self.fail(
                    "STUDIO_METRICS_BIND",
                    format!("not a socket address like 127.0.0.1:9100, got {raw:?}"),
                );
                None
            }
        }
    }

    pub(super) fn metrics_token(&mut self, production: bool) -> Option<String> {
        let token = self.optional("STUDIO_METRICS_TOKEN")?;
        if production && token.len() < MIN_PRODUCTION_TOKEN_BYTES {
            self.fail(
                "STUDIO_METRICS_TOKEN",
                format!("too weak: use at least {MIN_PRODUCTION_TOKEN_BYTES} bytes"),
            );
        }
        Some(token)
    }
}
