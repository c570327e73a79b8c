//! `studio-dev-inference`: a small, fast, deterministic OpenAI-compatible server.
//!
//! It stands in for vLLM, Ollama or OpenAI so the Studio gateway runs and is tested end to
//! end with no GPU and no network, and it is the "direct" baseline of the gateway benchmark,
//! so the chat paths are kept cheap: no per-request logging, one parse of the body, one
//! allocation per stream chunk.
//!
//! Answers are predictable (`"echo: "` + the last user message, one token per word) and the
//! model name can ask for misbehaviour, so the gateway's error paths are testable:
//! `name:key=value,…` after the last `:` of the model name, with the keys `tokens=N`,
//! `ttft=MS`, `delay=MS`, `usage=false`, `fail=400|429|500|503`, `stall=MS`, `cut=N` and
//! `malformed=N` (e.g. `dev-chat:tokens=50,delay=5,ttft=100`). Image models also take
//! `reply=url` and `corrupt=bytes|truncated|base64|bomb` (see `image_faults`).

mod app;
mod chat;
mod config;
mod errors;
mod image_faults;
mod image_store;
mod images;
mod options;
mod render;
mod reply;
mod request;
mod sse;
mod stats;
mod stream;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpServer};

pub use config::DevConfig;
pub use stats::{Stats, StatsSnapshot};

/// Seconds in-flight requests get when the server is stopped gracefully.
const SHUTDOWN_TIMEOUT_SECS: u64 = 5;

/// Shared by every worker, built once at start-up.
pub(crate) struct AppState {
    pub config: DevConfig,
    pub stats: Stats,
    pub images: image_store::ImageStore,
}

/// A running server.
#[derive(Debug, Clone)]
pub struct DevServer {
    /// The bound port (the real one when `bind` asked for port 0).
    pub port: u16,
    /// Stops the server: `handle.stop(true).await`.
    pub handle: ServerHandle,
    /// Live counters of what the server saw.
    pub stats: Stats,
    /// Where clients reach it; loopback when bound to every interface.
    host: IpAddr,
}

impl DevServer {
    /// The OpenAI base URL, e.g. `http://127.0.0.1:8001/v1`.
    pub fn base_url(&self) -> String {
        match self.host {
            IpAddr::V4(ip) => format!("http://{ip}:{}/v1", self.port),
            IpAddr::V6(ip) => format!("http://[{ip}]:{}/v1", self.port),
        }
    }
}

/// Binds (port 0 allowed), spawns the server on the current actix runtime and returns at once.
///
/// Signals are not hooked: the caller owns the lifetime (tests drop or stop it, the binary
/// stops it on Ctrl-C). Half-closed connections are refused so a client that goes away is
/// noticed even while its handler is sleeping, and its work is dropped and counted.
pub async fn start(config: DevConfig) -> std::io::Result<DevServer> {
    let bind = config.bind;
    let workers = config.workers;
    let stats = Stats::default();
    let state = web::Data::new(AppState {
        config,
        stats: stats.clone(),
        images: image_store::ImageStore::default(),
    });
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(app::routes)
            .default_service(web::to(app::not_found))
    })
    .disable_signals()
    .h1_allow_half_closed(false)
    .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS);
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    let server = server.bind(bind)?;
    let local = server
        .addrs()
        .first()
        .copied()
        .ok_or_else(|| std::io::Error::other("the server bound no address"))?;
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let host = match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    Ok(DevServer {
        port: local.port(),
        handle,
        stats,
        host,
    })
}
