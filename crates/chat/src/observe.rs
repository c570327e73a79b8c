//! What a finished chat request adds to the metrics (once per request, where its usage record
//! is written; nothing per chunk).

use std::time::Duration;

use studio_models::ModelSeries;

/// The upstream's duration and time to first token, and a cancellation.
pub(crate) fn finished(
    series: &ModelSeries,
    upstream: Option<&str>,
    ttft: Option<Duration>,
    latency: Duration,
    cancelled: bool,
) {
    if cancelled {
        series.cancelled.increment(1);
    }
    let Some(upstream) = upstream.and_then(|base_url| series.upstream(base_url)) else {
        return;
    };
    upstream.duration.record(latency.as_secs_f64());
    if let Some(ttft) = ttft {
        upstream.first_token.record(ttft.as_secs_f64());
    }
}
