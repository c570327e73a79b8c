//! Reading and checking single variables, collecting every problem instead of stopping at the first.

use std::{
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    str::FromStr,
};

use super::{ConfigError, DatabaseTarget, Environment, MIN_SECRET_BYTES};

/// The variables of one source, read and checked one at a time; every problem is collected so
/// start-up reports them all at once. Domain crates with their own settings read through it too.
pub struct Vars<F> {
    lookup: F,
    errors: Vec<ConfigError>,
    generated: Vec<&'static str>,
}

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    pub fn new(lookup: F) -> Self {
        Self {
            lookup,
            errors: Vec::new(),
            generated: Vec::new(),
        }
    }

    fn get(&self, var: &str) -> Option<String> {
        (self.lookup)(var)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub fn fail(&mut self, var: &'static str, problem: impl Into<String>) {
        self.errors.push(ConfigError {
            var,
            problem: problem.into(),
        });
    }

    pub fn finish(self) -> Result<(), Vec<ConfigError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }

    pub fn generated(&self) -> Vec<&'static str> {
        self.generated.clone()
    }

    pub fn text(&mut self, var: &'static str, default: &str) -> String {
        self.get(var).unwrap_or_else(|| default.to_owned())
    }

    pub fn optional(&mut self, var: &'static str) -> Option<String> {
        self.get(var)
    }

    pub fn parsed<T: FromStr + Default>(
        &mut self,
        var: &'static str,
        default: &str,
        problem: &str,
    ) -> T {
        let raw = self.text(var, default);
        match raw.parse::<T>() {
            Ok(value) => value,
            Err(_) => {
                self.fail(var, format!("{problem}, got {raw:?}"));
                T::default()
            }
        }
    }

    pub fn socket_addr(&mut self, var: &'static str, default: &str) -> SocketAddr {
        let raw = self.text(var, default);
        raw.parse().unwrap_or_else(|_| {
            self.fail(
                var,
                format!("not a socket address like 127.0.0.1:8000, got {raw:?}"),
            );
            SocketAddr::from(([127, 0, 0, 1], 8000))
        })
    }

    pub fn positive(&mut self, var: &'static str, default: &str) -> i64 {
        let value: i64 = self.parsed(var, default, "not a whole number of minutes");
        if value <= 0 && self.errors.iter().all(|e| e.var != var) {
            self.fail(var, "must be at least 1 minute");
        }
        value
    }

    pub fn environment(&mut self) -> Environment {
        match self.text("STUDIO_ENV", "development").as_str() {
            "development" => Environment::Development,
            "production" => Environment::Production,
            "testing" => Environment::Testing,
            other => {
                self.fail(
                    "STUDIO_ENV",
                    format!("must be development, production or testing, got {other:?}"),
                );
                Environment::Development
            }
        }
    }

    pub fn secret(&mut self, var: &'static str, production: bool) -> String {
        match self.get(var) {
            Some(secret) if secret.len() >= MIN_SECRET_BYTES => secret,
            Some(_) if production => {
                self.fail(
                    var,
                    format!("too weak: use at least {MIN_SECRET_BYTES} bytes"),
                );
                String::new()
            }
            None if production => {
                self.fail(var, "must be set in production (at least 32 random bytes)");
                String::new()
            }
            // Outside production a short secret is tolerated but replaced, so nothing runs on it.
            _ => {
                self.generated.push(var);
                crate::secrets::random_hex(32)
            }
        }
    }

    pub fn list(&mut self, var: &'static str, default: &str) -> Vec<String> {
        self.text(var, default)
            .split(',')
            .map(|item| item.trim().to_owned())
            .filter(|item| !item.is_empty())
            .collect()
    }

    pub fn origins(&mut self, var: &'static str, default: &str) -> Vec<String> {
        let origins = self.list(var, default);
        for origin in &origins {
            let valid = origin == "*"
                || url::Url::parse(origin)
                    .map(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                    .unwrap_or(false);
            if !valid {
                self.fail(
                    var,
                    format!("{origin:?} is not an origin like https://app.example.com"),
                );
            }
        }
        origins
            .into_iter()
            .map(|o| o.trim_end_matches('/').to_owned())
            .collect()
    }

    pub fn ip_list(&mut self, var: &'static str) -> Vec<IpAddr> {
        let mut ips = Vec::new();
        for item in self.list(var, "") {
            match item.parse() {
                Ok(ip) => ips.push(ip),
                Err(_) => self.fail(var, format!("{item:?} is not an IP address")),
            }
        }
        ips
    }

    pub fn url(&mut self, var: &'static str, default: &str) -> String {
        let raw = self.text(var, default);
        match url::Url::parse(&raw) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => raw.trim_end_matches('/').to_owned(),
            _ => {
                self.fail(var, format!("not an http(s) URL, got {raw:?}"));
                raw
            }
        }
    }

    pub fn smtp_url(&mut self, var: &'static str) -> Option<String> {
        let raw = self.get(var)?;
        match url::Url::parse(&raw) {
            Ok(u) if matches!(u.scheme(), "smtp" | "smtps") && u.host().is_some() => Some(raw),
            _ => {
                self.fail(
                    var,
                    "not an SMTP URL like smtp://127.0.0.1:2525 or smtps://user:pass@host",
                );
                None
            }
        }
    }

    pub fn database(&mut self) -> DatabaseTarget {
        let Some(raw) = self.get("DATABASE_URL") else {
            return DatabaseTarget::Sqlite(PathBuf::from("./data/studio.db"));
        };
        if let Some(path) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            if path.is_empty() || path.contains(":memory:") {
                self.fail(
                    "DATABASE_URL",
                    "sqlite needs a file path, e.g. sqlite://./data/studio.db",
                );
            }
            return DatabaseTarget::Sqlite(PathBuf::from(path));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            if url::Url::parse(&raw).is_err() {
                self.fail("DATABASE_URL", "not a valid postgres:// URL");
            }
            return DatabaseTarget::Postgres(raw);
        }
        self.fail("DATABASE_URL", "must start with sqlite:// or postgres://");
        DatabaseTarget::Sqlite(PathBuf::from("./data/studio.db"))
    }
}
