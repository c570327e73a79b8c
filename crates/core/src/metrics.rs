//! Where every crate gets its metric handles: a recorder handed down at start-up (the
//! gateway's Prometheus recorder, or a no-op one when metrics are off), never a global.
//!
//! Handles are resolved once (at start-up, or the first time a label set is seen) and kept:
//! recording through a handle is an atomic operation, where `metrics::counter!` would look
//! the series up in the registry on every call.

use std::sync::Arc;

pub use metrics::{Counter, Gauge, Histogram};
use metrics::{Key, KeyName, Label, Level, Metadata, NoopRecorder, Recorder, SharedString};

/// A cheap handle on the recorder; the default records nothing.
#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<dyn Recorder + Send + Sync>,
    enabled: bool,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            recorder: Arc::new(NoopRecorder),
            enabled: false,
        }
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

const METADATA: Metadata<'static> = Metadata::new("studio", Level::INFO, None);

fn key(name: &'static str, labels: &[(&'static str, &str)]) -> Key {
    let labels: Vec<Label> = labels
        .iter()
        .map(|(k, v)| Label::new(*k, (*v).to_owned()))
        .collect();
    Key::from_parts(name, labels)
}

impl Metrics {
    pub fn new(recorder: Arc<dyn Recorder + Send + Sync>) -> Self {
        Self {
            recorder,
            enabled: true,
        }
    }

    /// False for the default (no-op) recorder: callers may skip even finding their handles.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// A counter series with its HELP text.
    pub fn counter(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &[(&'static str, &str)],
    ) -> Counter {
        self.recorder.describe_counter(
            KeyName::from_const_str(name),
            None,
            SharedString::const_str(help),
        );
        self.recorder
            .register_counter(&key(name, labels), &METADATA)
    }

    /// A gauge series with its HELP text.
    pub fn gauge(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &[(&'static str, &str)],
    ) -> Gauge {
        self.recorder.describe_gauge(
            KeyName::from_const_str(name),
            None,
            SharedString::const_str(help),
        );
        self.recorder.register_gauge(&key(name, labels), &METADATA)
    }

    /// A histogram series with its HELP text (its buckets are the exporter's business).
    pub fn histogram(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &[(&'static str, &str)],
    ) -> Histogram {
        self.recorder.describe_histogram(
            KeyName::from_const_str(name),
            None,
            SharedString::const_str(help),
        );
        self.recorder
            .register_histogram(&key(name, labels), &METADATA)
    }

    /// Hit and miss counters of one cache (`studio_cache_requests_total{cache, result}`).
    pub fn cache(&self, cache: &str) -> CacheCounters {
        let counter = |result| {
            self.counter(
                "studio_cache_requests_total",
                "Cache lookups by cache and result (hit or miss).",
                &[("cache", cache), ("result", result)],
            )
        };
        CacheCounters {
            hits: counter("hit"),
            misses: counter("miss"),
        }
    }
}

/// Counts a cache's lookups; `Default` counts nothing.
#[derive(Clone)]
pub struct CacheCounters {
    hits: Counter,
    misses: Counter,
}

impl Default for CacheCounters {
    fn default() -> Self {
        Self {
            hits: Counter::noop(),
            misses: Counter::noop(),
        }
    }
}

impl CacheCounters {
    pub fn lookup(&self, hit: bool) {
        if hit {
            self.hits.increment(1);
        } else {
            self.misses.increment(1);
        }
    }
}
