//! The rows of the benchmark table, scenario by scenario, with the targets.

use super::{
    row::{Row, Target, Unit},
    summary::{Read, Results, Sheet, BACKGROUND, ERRORS, GATEWAY_CPU, PEAK},
};

pub fn rows(results: &Results) -> Vec<Row> {
    let mut rows = Vec::new();
    let at_most = |limit| Some(Target::AtMost(limit));
    // Issue 19's targets: non-stream at half of direct, streams at 80%, both at no more than
    // twice nginx's CPU.
    let share = |of| Some(Target::ShareOfDirect(of));
    let twice_nginx = at_most(2.0);

    // The targets are set at concurrency 32; at 1, only the added latency (unloaded) is checked.
    for (key, title, loaded) in [("chat", "chat c=32", true), ("chat_c1", "chat c=1", false)] {
        let when_loaded = |target| if loaded { target } else { None };
        let mut s = Sheet::new(results, &mut rows, key, title);
        s.both(
            "throughput req/s",
            Unit::Rate,
            Read::At("/rps"),
            when_loaded(share(0.5)),
        );
        s.latencies(at_most(0.5), at_most(2.0));
        s.proxy_cpu(
            "gateway CPU s/1k req",
            when_loaded(at_most(0.15)),
            when_loaded(twice_nginx),
        );
        s.upstream_cpu("upstream CPU s/1k req");
        s.studio(
            "gateway peak MiB",
            Unit::MiB,
            PEAK,
            when_loaded(at_most(64.0)),
        );
        s.both("other processes, cores", Unit::Cores, BACKGROUND, None);
        s.both("errors (all reps)", Unit::Count, ERRORS, at_most(0.0));
    }

    let mut s = Sheet::new(results, &mut rows, "stream", "stream 50 c=32");
    s.both(
        "throughput streams/s",
        Unit::Rate,
        Read::At("/rps"),
        share(0.8),
    );
    s.both(
        "latency p50 ms",
        Unit::Ms,
        Read::At("/latency_ms/p50"),
        None,
    );
    s.both(
        "latency p99 ms",
        Unit::Ms,
        Read::At("/latency_ms/p99"),
        None,
    );
    s.both("TTFT p50 ms", Unit::Ms, Read::At("/ttft_ms/p50"), None);
    s.both("TTFT p99 ms", Unit::Ms, Read::At("/ttft_ms/p99"), None);
    s.added("added latency p50 ms", "/latency_ms/p50", None);
    s.added("added latency p99 ms", "/latency_ms/p99", None);
    s.both(
        "SSE events per stream",
        Unit::Count,
        Read::At("/events_per_response"),
        None,
    );
    s.proxy_cpu("gateway CPU s/1k streams", at_most(0.6), twice_nginx);
    s.upstream_cpu("upstream CPU s/1k streams");
    s.studio("gateway peak MiB", Unit::MiB, PEAK, at_most(64.0));
    s.both("other processes, cores", Unit::Cores, BACKGROUND, None);
    s.both("errors (all reps)", Unit::Count, ERRORS, at_most(0.0));

    // Per image, CPU in s per 1,000 is ms per image. At c=1 the added latency is unloaded.
    for (key, title) in [
        ("images", "images 256 c=8"),
        ("images_c1", "images 256 c=1"),
    ] {
        let mut s = Sheet::new(results, &mut rows, key, title);
        s.both("throughput images/s", Unit::Rate, Read::At("/rps"), None);
        s.latencies(None, None);
        s.proxy_cpu("gateway CPU s/1k images", None, None);
        s.upstream_cpu("upstream CPU s/1k images");
        s.studio("gateway peak MiB", Unit::MiB, PEAK, None);
        s.both("other processes, cores", Unit::Cores, BACKGROUND, None);
        s.both("errors (all reps)", Unit::Count, ERRORS, at_most(0.0));
    }

    let mut s = Sheet::new(results, &mut rows, "slow_streams", "slow streams");
    s.both("streams completed", Unit::Count, Read::At("/ok"), None);
    s.both(
        "latency p50 ms",
        Unit::Ms,
        Read::At("/latency_ms/p50"),
        None,
    );
    s.both("TTFT p50 ms", Unit::Ms, Read::At("/ttft_ms/p50"), None);
    s.both(
        "TTFT p99 ms",
        Unit::Ms,
        Read::At("/ttft_ms/p99"),
        at_most(100.0),
    );
    s.proxy_cpu("gateway CPU s/1k streams", None, None);
    s.studio(
        "gateway idle RSS MiB",
        Unit::MiB,
        Read::At("/gateway/idle_rss_mib"),
        None,
    );
    s.studio("gateway peak MiB", Unit::MiB, PEAK, at_most(256.0));
    s.studio(
        "memory per stream KiB",
        Unit::KiB,
        Read::At("/gateway/kib_per_request"),
        None,
    );
    s.both("other processes, cores", Unit::Cores, BACKGROUND, None);
    s.both("errors (all reps)", Unit::Count, ERRORS, at_most(0.0));

    for (key, title) in [
        ("models_key", "/v1/models key"),
        ("models_jwt", "/v1/models JWT"),
        ("healthz", "/healthz"),
    ] {
        let mut s = Sheet::new(results, &mut rows, key, title);
        s.studio("throughput req/s", Unit::Rate, Read::At("/rps"), None);
        s.studio(
            "latency p50 ms",
            Unit::Ms,
            Read::At("/latency_ms/p50"),
            None,
        );
        s.studio(
            "gateway CPU s/1k req",
            Unit::Seconds,
            Read::At(GATEWAY_CPU),
            None,
        );
        s.studio("gateway peak MiB", Unit::MiB, PEAK, at_most(64.0));
        s.studio("other processes, cores", Unit::Cores, BACKGROUND, None);
        s.studio("errors (all reps)", Unit::Count, ERRORS, at_most(0.0));
    }

    // What authenticating with a key adds to /v1/models, against /healthz (no auth, no work).
    let cost = |pointer| {
        let read = |key: &str| {
            results
                .get(key)
                .and_then(|runs| Read::At(pointer).over(&runs.studio))
        };
        match (read("models_key"), read("healthz")) {
            (Some(models), Some(health)) if models > 0.0 => Some((models - health) / models),
            _ => None,
        }
    };
    let (latency, cpu) = (cost("/latency_ms/p50"), cost(GATEWAY_CPU));
    let mut s = Sheet::new(results, &mut rows, "models_key", "API-key auth cost");
    s.push(
        "share of p50 latency",
        Unit::Percent,
        (None, None, latency),
        at_most(0.05),
    );
    s.push(
        "share of CPU per request",
        Unit::Percent,
        (None, None, cpu),
        at_most(0.05),
    );
    rows
}
