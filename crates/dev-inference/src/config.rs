//! Start-up configuration, from code (tests) or from the environment (the binary).

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// How the dev server listens and how slow it pretends to be.
///
/// The delays are the defaults for every request; a model name's `ttft=` and `delay=` options
/// override them per request, so one server can play a fast and a slow upstream at once.
#[derive(Clone, PartialEq, Eq)]
pub struct DevConfig {
    /// Address to listen on; port 0 picks a free port (tests).
    pub bind: SocketAddr,
    /// When set, every `/v1/*` request must carry `Authorization: Bearer <key>`.
    pub api_key: Option<String>,
    /// Wait before the first content token (stream) or before the answer (non-stream).
    pub first_token_delay: Duration,
    /// Wait between two content tokens of a stream.
    pub token_delay: Duration,
    /// HTTP worker threads; `None` lets actix use one per core.
    pub workers: Option<usize>,
}

impl Default for DevConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8001)),
            api_key: None,
            first_token_delay: Duration::ZERO,
            token_delay: Duration::ZERO,
            workers: None,
        }
    }
}

/// The key is a secret: never print it, even in a debug dump of the configuration.
impl fmt::Debug for DevConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevConfig")
            .field("bind", &self.bind)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("first_token_delay", &self.first_token_delay)
            .field("token_delay", &self.token_delay)
            .field("workers", &self.workers)
            .finish()
    }
}

impl DevConfig {
    /// Reads `DEV_INFERENCE_BIND`, `DEV_INFERENCE_API_KEY`, `DEV_INFERENCE_FIRST_TOKEN_DELAY_MS`,
    /// `DEV_INFERENCE_TOKEN_DELAY_MS` and `DEV_INFERENCE_WORKERS`; unset or empty means the default.
    ///
    /// A bad value is an error naming the variable, so start-up fails with one clear line
    /// instead of silently serving with a default the developer did not ask for.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| match std::env::var(name) {
            Ok(value) => Ok(Some(value)),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(format!("{name}: not valid UTF-8")),
        })
    }

    /// The parsing behind [`DevConfig::from_env`], over any lookup so it is testable without
    /// touching the process environment.
    pub(crate) fn from_lookup(
        lookup: impl Fn(&str) -> Result<Option<String>, String>,
    ) -> Result<Self, String> {
        let var = |name: &str| -> Result<Option<String>, String> {
            Ok(lookup(name)?.filter(|value| !value.trim().is_empty()))
        };
        let mut config = Self::default();
        if let Some(bind) = var("DEV_INFERENCE_BIND")? {
            config.bind = bind.trim().parse().map_err(|_| {
                format!("DEV_INFERENCE_BIND: expected an address like 127.0.0.1:8001, got `{bind}`")
            })?;
        }
        config.api_key = var("DEV_INFERENCE_API_KEY")?;
        if let Some(ms) = var("DEV_INFERENCE_FIRST_TOKEN_DELAY_MS")? {
            config.first_token_delay = millis("DEV_INFERENCE_FIRST_TOKEN_DELAY_MS", &ms)?;
        }
        if let Some(ms) = var("DEV_INFERENCE_TOKEN_DELAY_MS")? {
            config.token_delay = millis("DEV_INFERENCE_TOKEN_DELAY_MS", &ms)?;
        }
        if let Some(workers) = var("DEV_INFERENCE_WORKERS")? {
            match workers.trim().parse::<usize>() {
                Ok(n) if n > 0 => config.workers = Some(n),
                _ => {
                    return Err(format!(
                        "DEV_INFERENCE_WORKERS: expected a positive integer, got `{workers}`"
                    ))
                }
            }
        }
        Ok(config)
    }
}

fn millis(name: &str, value: &str) -> Result<Duration, String> {
    value
        .trim()
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| format!("{name}: expected milliseconds (a whole number), got `{value}`"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<DevConfig, String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        DevConfig::from_lookup(|name| Ok(vars.get(name).cloned()))
    }

    #[test]
    fn no_variables_give_the_defaults() {
        assert_eq!(parse(&[]).unwrap(), DevConfig::default());
    }

    #[test]
    fn every_variable_is_read() {
        let config = parse(&[
            ("DEV_INFERENCE_BIND", "0.0.0.0:9000"),
            ("DEV_INFERENCE_API_KEY", "sk-dev"),
            ("DEV_INFERENCE_FIRST_TOKEN_DELAY_MS", "150"),
            ("DEV_INFERENCE_TOKEN_DELAY_MS", "20"),
            ("DEV_INFERENCE_WORKERS", "3"),
        ])
        .unwrap();
        assert_eq!(config.bind, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(config.api_key.as_deref(), Some("sk-dev"));
        assert_eq!(config.first_token_delay, Duration::from_millis(150));
        assert_eq!(config.token_delay, Duration::from_millis(20));
        assert_eq!(config.workers, Some(3));
    }

    #[test]
    fn empty_values_mean_unset() {
        let config = parse(&[("DEV_INFERENCE_API_KEY", ""), ("DEV_INFERENCE_BIND", " ")]).unwrap();
        assert_eq!(config, DevConfig::default());
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        for (name, value) in [
            ("DEV_INFERENCE_BIND", "localhost"),
            ("DEV_INFERENCE_FIRST_TOKEN_DELAY_MS", "-1"),
            ("DEV_INFERENCE_TOKEN_DELAY_MS", "fast"),
            ("DEV_INFERENCE_WORKERS", "0"),
        ] {
            let err = parse(&[(name, value)]).unwrap_err();
            assert!(err.starts_with(name), "{err}");
        }
    }

    #[test]
    fn debug_output_hides_the_key() {
        let config = DevConfig {
            api_key: Some("sk-secret".into()),
            ..DevConfig::default()
        };
        assert!(!format!("{config:?}").contains("sk-secret"));
    }
}
