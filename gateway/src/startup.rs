//! Start-up: configuration → migrations → pools → services → a bound HTTP server.

use std::net::TcpListener;

use actix_web::{dev::Server, dev::ServerHandle, HttpServer};
use anyhow::Context;
use studio_auth::oauth::OAuthProviderConfig;
use studio_core::{db, Config};

use crate::{app::build_app, state::AppState};

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    /// The metrics listener (`STUDIO_METRICS_BIND`): its port and handle.
    metrics: Option<(u16, ServerHandle)>,
}

impl Application {
    /// Migrates the database, builds every service and binds the listener (port 0 picks one).
    pub async fn build(
        config: Config,
        oauth_providers: Vec<OAuthProviderConfig>,
    ) -> anyhow::Result<Self> {
        for secret in &config.generated_secrets {
            tracing::warn!(
                "{secret} is not set: using a random value; tokens will not survive a restart"
            );
        }
        let applied = db::run_migrations(&config.database).await?;
        if !applied.is_empty() {
            tracing::info!(?applied, "database migrated");
        }
        let pool = db::connect(&config.database, config.database_pool_size)
            .await
            .context("cannot open the database pool")?;
        let listener = TcpListener::bind(config.bind)
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let port = listener.local_addr()?.port();
        let workers = config.workers;
        let max_connections = config.max_connections;
        let worker_count = workers.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
        crate::fd_limit::raise(crate::fd_limit::needed(max_connections, worker_count));
        let shutdown_timeout = config.shutdown_timeout_secs;
        let metrics_listener = match config.metrics_bind {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .with_context(|| format!("cannot listen on {addr} (STUDIO_METRICS_BIND)"))?,
            ),
            None => None,
        };
        let state = AppState::build(config, oauth_providers, pool).await?;
        let metrics = match metrics_listener {
            Some(listener) => {
                let port = listener.local_addr()?.port();
                let server = crate::metrics::serve_listener(
                    listener,
                    state.exporter.clone(),
                    state.pool.clone(),
                    state.usage_writer.clone(),
                )?;
                let handle = server.handle();
                actix_web::rt::spawn(server);
                tracing::info!(port, "metrics listening");
                Some((port, handle))
            }
            None => None,
        };
        let factory_state = state.clone();
        let mut server = HttpServer::new(move || build_app(factory_state.clone()))
            .shutdown_timeout(shutdown_timeout)
            // A client that closes its side has gone away: drop its handler (and the upstream
            // request it waits on) instead of finishing work nobody will read. actix allows
            // half-closed connections by default, so only a reset was noticed.
            .h1_allow_half_closed(false)
            // Small final writes (the last event, the chunk terminator) must not wait for the
            // client's delayed ACK.
            .tcp_nodelay(true)
            .max_connections(max_connections)
            .listen(listener)?;
        if let Some(workers) = workers {
            server = server.workers(workers);
        }
        tracing::info!(
            port,
            database = state.pool.backend_name(),
            "studio gateway listening"
        );
        Ok(Self {
            port,
            server: server.run(),
            state,
            metrics,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the metrics listener, when `STUDIO_METRICS_BIND` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGINT/SIGTERM or a stop through the handle, then flushes background writers.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some((_, metrics)) = &self.metrics {
            metrics.stop(true).await;
        }
        self.state.shutdown().await;
        result
    }
}
