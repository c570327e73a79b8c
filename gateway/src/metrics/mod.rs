//! Prometheus metrics: the recorder every crate's handles come from, the text `/metrics`
//! serves, the HTTP series (a middleware) and the separate metrics listener.
//!
//! Off unless `STUDIO_METRICS_BIND` or `STUDIO_METRICS_TOKEN` is set: then the recorder is a
//! no-op and every handle records nothing.

mod http;
mod listener;

pub use http::{observe_requests, HttpSeries};
pub use listener::serve as serve_listener;

use std::{sync::Arc, time::Duration};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use studio_core::{
    metrics::{Counter, Gauge},
    DbPool, Metrics,
};
use studio_usage::UsageWriter;

/// Gateway requests: sub-millisecond answers up to long streams' response heads.
const HTTP_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Whole upstream answers: a short completion to a ten-minute stream.
const UPSTREAM_BUCKETS: &[f64] = &[
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];
/// Time to first token: milliseconds for a warm small model, a minute or two for a cold one.
const FIRST_TOKEN_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0,
];
/// Histograms keep samples until rendered: drained this often even if nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The state sampled when scraped (it already exists; no per-request work).
struct Sampled {
    queued: Gauge,
    journaled: Gauge,
    dead_lettered: Counter,
    lost: Counter,
    in_use: Gauge,
    idle: Gauge,
}

/// The recorder and what renders it; cloned into every worker.
#[derive(Clone)]
pub struct Exporter {
    metrics: Metrics,
    /// `None` when metrics are off.
    enabled: Option<(PrometheusHandle, Arc<Sampled>)>,
    token: Option<Arc<str>>,
}

impl Exporter {
    /// Off: a no-op recorder. On: Prometheus, with an upkeep task (stopped on shutdown).
    pub fn new(config: &studio_core::Config) -> anyhow::Result<Self> {
        let token = config.metrics_token.as_deref().map(Arc::from);
        if !config.metrics_enabled() {
            return Ok(Self {
                metrics: Metrics::default(),
                enabled: None,
                token,
            });
        }
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("studio_http_request_duration_seconds".into()),
                HTTP_BUCKETS,
            )?
            .set_buckets_for_metric(
                Matcher::Full("studio_upstream_request_duration_seconds".into()),
                UPSTREAM_BUCKETS,
            )?
            .set_buckets_for_metric(
                Matcher::Full("studio_chat_time_to_first_token_seconds".into()),
                FIRST_TOKEN_BUCKETS,
            )?
            .build_recorder();
        let handle = recorder.handle();
        let metrics = Metrics::new(Arc::new(recorder));
        let sampled = Sampled {
            queued: metrics.gauge(
                "studio_usage_queue_depth",
                "Usage records queued in memory for the database.",
                &[],
            ),
            journaled: metrics.gauge(
                "studio_usage_journal_records",
                "Usage records in the journal, waiting for the database.",
                &[],
            ),
            dead_lettered: metrics.counter(
                "studio_usage_dead_lettered_total",
                "Usage records set aside in the dead-letter file since start-up.",
                &[],
            ),
            lost: metrics.counter(
                "studio_usage_lost_total",
                "Usage records neither stored nor journaled since start-up.",
                &[],
            ),
            in_use: pool_gauge(&metrics, "in_use"),
            idle: pool_gauge(&metrics, "idle"),
        };
        Ok(Self {
            metrics,
            enabled: Some((handle, Arc::new(sampled))),
            token,
        })
    }

    /// Where the crates register their series.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn enabled(&self) -> bool {
        self.enabled.is_some()
    }

    /// The bearer token that opens `/metrics` on the main listener.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Drains histogram samples now and then, so memory stays flat between scrapes.
    pub fn spawn_upkeep(&self) -> Option<tokio::task::JoinHandle<()>> {
        let (handle, _) = self.enabled.clone()?;
        Some(tokio::spawn(async move {
            let mut every = tokio::time::interval(UPKEEP_EVERY);
            loop {
                every.tick().await;
                handle.run_upkeep();
            }
        }))
    }

    /// The Prometheus text, with the usage writer and the pool sampled now.
    pub fn render(&self, pool: &DbPool, usage: &UsageWriter) -> Option<String> {
        let (handle, sampled) = self.enabled.as_ref()?;
        let writer = usage.state();
        sampled.queued.set(writer.queued as f64);
        sampled.journaled.set(writer.journaled as f64);
        sampled.dead_lettered.absolute(writer.dead_lettered);
        sampled.lost.absolute(writer.lost);
        let (in_use, idle) = pool.connections();
        sampled.in_use.set(in_use as f64);
        sampled.idle.set(idle as f64);
        Some(handle.render())
    }
}

fn pool_gauge(metrics: &Metrics, state: &str) -> Gauge {
    metrics.gauge(
        "studio_db_pool_connections",
        "Database pool connections by state (in_use or idle).",
        &[("state", state)],
    )
}

/// The `Content-Type` of Prometheus' text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
