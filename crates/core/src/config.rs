//! Configuration from environment variables (and `.env`), validated once at start-up.
//!
//! Every problem names the variable and what is wrong with it, so a bad deployment
//! fails with one readable line instead of misbehaving later.

mod limits;
mod media;
mod metrics;
mod parse;

pub use media::{MediaConfig, S3Config};
pub use parse::Vars;

use std::{net::SocketAddr, path::PathBuf};

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
    pub max_body_bytes: usize,
    pub shutdown_timeout_secs: u64,
    pub access_token_minutes: i64,
    pub refresh_token_minutes: i64,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub auth_rate_limit_per_minute: u32,
    /// `None`: `config/models.toml` in the working directory if present, else the built-in catalog.
    pub models_file: Option<PathBuf>,
    pub max_api_keys_per_user: u32,
    pub last_used_flush_secs: u64,
    pub sse_keep_alive_secs: u64,
    pub usage_flush_ms: u64,
    /// A streaming chat-session reply is written to the database at least this often...
    pub chat_checkpoint_ms: u64,
    /// ...or after this many chunks, whichever comes first.
    pub chat_checkpoint_tokens: u64,
    /// Usage records held in memory between flushes.
    pub usage_queue_size: usize,
    /// Files Studio keeps besides the database (the usage journal and dead letters).
    pub data_dir: PathBuf,
    pub usage_journal: PathBuf,
    pub usage_dead_letter: PathBuf,
    /// Shares limits across instances; unset: limits are per instance.
    pub redis_url: Option<String>,
    pub key_limits: crate::LimitSettings,
    pub user_limits: crate::LimitSettings,
    /// The gateway's public base URL (OAuth callbacks); when unset, taken from the request.
    pub public_url: Option<String>,
    /// `smtp://host:port` or `smtps://user:pass@host`; `None`: mail is written to the log.
    pub email_smtp_url: Option<String>,
    pub email_from: String,
    /// A rotated refresh token still returns its successor for this long (0: off).
    pub refresh_grace_secs: u64,
    pub janitor_interval_secs: u64,
    /// Worker threads; `None` means one per core.
    pub workers: Option<usize>,
    /// `STUDIO_ADMIN_EMAILS`: verified addresses promoted to admin at sign-up or sign-in.
    pub admin_emails: Vec<String>,
    /// `STUDIO_AUDIT_RETENTION_DAYS`: how long audit events are kept.
    pub audit_retention_days: u32,
    /// Open client connections each worker accepts; past it, new ones wait in the backlog.
    pub max_connections: usize,
    /// `STUDIO_METRICS_BIND`: a listener serving only `/metrics`; `None`: none.
    pub metrics_bind: Option<SocketAddr>,
    /// `STUDIO_METRICS_TOKEN`: `/metrics` on the main listener behind this bearer token.
    pub metrics_token: Option<String>,
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
            models_file: vars.optional("STUDIO_MODELS_FILE").map(PathBuf::from),
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
            chat_checkpoint_ms: vars.parsed(
                "STUDIO_CHAT_CHECKPOINT_MS",
                "500",
                "not a number of milliseconds",
            ),
            chat_checkpoint_tokens: vars.parsed(
                "STUDIO_CHAT_CHECKPOINT_TOKENS",
                "64",
                "not a number of tokens",
            ),
            usage_queue_size: vars.parsed(
                "STUDIO_USAGE_QUEUE_SIZE",
                "65536",
                "not a number of records",
            ),
            data_dir: PathBuf::from(vars.text("STUDIO_DATA_DIR", "./data")),
            redis_url: vars.optional("REDIS_URL"),
            key_limits: vars.key_limits(),
            user_limits: vars.user_limits(),
            usage_journal: PathBuf::new(),
            usage_dead_letter: PathBuf::new(),
            public_url: vars
                .optional("STUDIO_PUBLIC_URL")
                .map(|u| u.trim_end_matches('/').to_owned()),
            workers: vars.optional("STUDIO_WORKERS").and_then(|w| w.parse().ok()),
            // actix-web's own default.
            max_connections: vars.parsed(
                "STUDIO_MAX_CONNECTIONS",
                "25000",
                "not a number of connections",
            ),
            email_smtp_url: vars.smtp_url("EMAIL_SMTP_URL"),
            email_from: vars.text("EMAIL_FROM", "Studio <no-reply@localhost>"),
            refresh_grace_secs: vars.parsed(
                "STUDIO_REFRESH_GRACE_SECS",
                "10",
                "not a number of seconds",
            ),
            janitor_interval_secs: vars.parsed(
                "STUDIO_JANITOR_INTERVAL_SECS",
                "300",
                "not a number of seconds",
            ),
            admin_emails: vars
                .list("STUDIO_ADMIN_EMAILS", "")
                .into_iter()
                .map(|email| email.to_lowercase())
                .collect(),
            audit_retention_days: vars.parsed(
                "STUDIO_AUDIT_RETENTION_DAYS",
                "365",
                "not a whole number of days",
            ),
            metrics_bind: vars.metrics_bind(),
            metrics_token: vars.metrics_token(production),
        };
        if config.audit_retention_days == 0 {
            vars.fail("STUDIO_AUDIT_RETENTION_DAYS", "must be at least 1 day");
        }
        let usage_journal = vars.optional("STUDIO_USAGE_JOURNAL").map_or_else(
            || config.data_dir.join("usage-journal.jsonl"),
            PathBuf::from,
        );
        let usage_dead_letter = vars.optional("STUDIO_USAGE_DEAD_LETTER").map_or_else(
            || config.data_dir.join("usage-dead-letter.jsonl"),
            PathBuf::from,
        );
        let generated = vars.generated();
        vars.finish()?;
        Ok(Config {
            generated_secrets: generated,
            usage_journal,
            usage_dead_letter,
            ..config
        })
    }

    pub fn is_production(&self) -> bool {
        self.environment.is_production()
    }

    /// Whether anything serves `/metrics` (otherwise nothing is recorded either).
    pub fn metrics_enabled(&self) -> bool {
        self.metrics_bind.is_some() || self.metrics_token.is_some()
    }
}

#[cfg(test)]
mod tests;
