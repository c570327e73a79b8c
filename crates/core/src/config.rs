//! Configuration from environment variables (and `.env`), validated once at start-up.
//!
//! Every problem names the variable and what is wrong with it, so a bad deployment
//! fails with one readable line instead of misbehaving later.

mod media;
mod oauth;
mod parse;

pub use media::{MediaConfig, S3Config};
pub use oauth::{AppleSigning, OAuthKind, OAuthProviderConfig};

use std::{net::SocketAddr, path::PathBuf};

use parse::Vars;

/// Secrets shorter than this are refused in production.
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
    Testing,
}

impl Environment {
    pub fn is_production(self) -> bool {
        self == Environment::Production
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

/// Where the data lives: picked by the scheme of `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    Sqlite(PathBuf),
    Postgres(String),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    pub bind: SocketAddr,
    pub database: DatabaseTarget,
    pub database_pool_size: usize,
    pub jwt_secret: String,
    pub secret_key: String,
    /// Names of secrets that were generated because none was configured (logged at start-up).
    pub generated_secrets: Vec<&'static str>,
    pub allowed_hosts: Vec<String>,
    pub cors_allowed_origins: Vec<String>,
    pub frontend_url: String,
    pub inference_service_url: String,
    pub inference_service_api_key: Option<String>,
    pub media: MediaConfig,
    pub redis_url: Option<String>,
    pub max_body_bytes: usize,
    pub shutdown_timeout_secs: u64,
    pub access_token_minutes: i64,
    pub refresh_token_minutes: i64,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub auth_rate_limit_per_minute: u32,
    pub models_file: PathBuf,
    pub max_api_keys_per_user: u32,
    pub last_used_flush_secs: u64,
    pub sse_keep_alive_secs: u64,
    pub usage_flush_ms: u64,
    pub oauth_providers: Vec<OAuthProviderConfig>,
    /// The gateway's public base URL (OAuth callbacks); when unset, taken from the request.
    pub public_url: Option<String>,
    /// Worker threads; `None` means one per core.
    pub workers: Option<usize>,
}

impl Config {
    /// Reads the process environment, after loading `.env` if there is one.
    pub fn from_env() -> Result<Self, Vec<ConfigError>> {
        // A missing .env is the normal case; a malformed one is reported by the values it leaves out.
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any source of variables (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Vec<ConfigError>> {
        let mut vars = Vars::new(lookup);
        let environment = vars.environment();
        let production = environment.is_production();
        let default_origins = match environment {
            Environment::Production => "",
            _ => "http://localhost:5173",
        };
        let config = Config {
            environment,
            bind: vars.socket_addr("STUDIO_BIND", "127.0.0.1:8000"),
            database: vars.database(),
            database_pool_size: vars.parsed(
                "STUDIO_DATABASE_POOL_SIZE",
                "16",
                "not a positive number",
            ),
            jwt_secret: vars.secret("JWT_SECRET_KEY", production),
            secret_key: vars.secret("SECRET_KEY", production),
            generated_secrets: Vec::new(),
            allowed_hosts: vars.list("ALLOWED_HOSTS", ""),
            cors_allowed_origins: vars.origins("CORS_ALLOWED_ORIGINS", default_origins),
            frontend_url: vars.url("FRONTEND_URL", "http://localhost:5173"),
            inference_service_url: vars.url("INFERENCE_SERVICE_URL", "http://127.0.0.1:8001/v1"),
            inference_service_api_key: vars.optional("INFERENCE_SERVICE_API_KEY"),
            media: vars.media(),
            redis_url: vars.optional("REDIS_URL"),
            max_body_bytes: vars.parsed(
                "STUDIO_MAX_BODY_BYTES",
                "1048576",
                "not a number of bytes",
            ),
            shutdown_timeout_secs: vars.parsed(
                "STUDIO_SHUTDOWN_TIMEOUT",
                "30",
                "not a number of seconds",
            ),
            access_token_minutes: vars.positive("JWT_ACCESS_TOKEN_LIFETIME", "15"),
            refresh_token_minutes: vars.positive("JWT_REFRESH_TOKEN_LIFETIME", "10080"),
            trusted_proxies: vars.ip_list("STUDIO_TRUSTED_PROXIES"),
            auth_rate_limit_per_minute: vars.parsed(
                "STUDIO_AUTH_RATE_LIMIT",
                "10",
                "not a number of attempts per minute",
            ),
            models_file: PathBuf::from(vars.text("STUDIO_MODELS_FILE", "config/models.toml")),
            max_api_keys_per_user: vars.parsed(
                "STUDIO_MAX_API_KEYS_PER_USER",
                "100",
                "not a number of keys",
            ),
            last_used_flush_secs: vars.parsed(
                "STUDIO_LAST_USED_FLUSH_SECS",
                "5",
                "not a number of seconds",
            ),
            sse_keep_alive_secs: vars.parsed(
                "STUDIO_SSE_KEEPALIVE_SECS",
                "15",
                "not a number of seconds",
            ),
            usage_flush_ms: vars.parsed(
                "STUDIO_USAGE_FLUSH_MS",
                "1000",
                "not a number of milliseconds",
            ),
            oauth_providers: vars.oauth_providers(),
            public_url: vars
                .optional("STUDIO_PUBLIC_URL")
                .map(|u| u.trim_end_matches('/').to_owned()),
            workers: vars.optional("STUDIO_WORKERS").and_then(|w| w.parse().ok()),
        };
        let generated = vars.generated();
        vars.finish()?;
        Ok(Config {
            generated_secrets: generated,
            ..config
        })
    }

    pub fn is_production(&self) -> bool {
        self.environment.is_production()
    }
}

#[cfg(test)]
mod tests;
