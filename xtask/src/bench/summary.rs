//! From every run to the rows of the table: medians over the repetitions, and the targets.

use std::collections::BTreeMap;

use serde_json::Value;

use super::row::{Row, Target, Unit};

/// Every run of one scenario, as loadgen reported them (plus the gateway's memory).
#[derive(Debug, Default)]
pub struct Runs {
    pub direct: Vec<Value>,
    pub studio: Vec<Value>,
}

pub type Results = BTreeMap<&'static str, Runs>;

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

/// How a row's number is read from one run's JSON.
#[derive(Clone, Copy)]
enum Read {
    /// The number at this JSON pointer.
    At(&'static str),
    /// Summed over the runs instead of their median (error counts).
    Total(&'static str),
    /// A CPU time per second of the run: cores in use.
    PerSecond(&'static str),
}

impl Read {
    fn over(self, runs: &[Value]) -> Option<f64> {
        let number = |run: &Value, pointer: &str| run.pointer(pointer).and_then(Value::as_f64);
        match self {
            Read::At(pointer) => median(runs.iter().filter_map(|r| number(r, pointer)).collect()),
            Read::Total(pointer) => {
                (!runs.is_empty()).then(|| runs.iter().filter_map(|r| number(r, pointer)).sum())
            }
            Read::PerSecond(pointer) => median(
                runs.iter()
                    .filter_map(|r| Some(number(r, pointer)? / number(r, "/duration_s")?))
                    .collect(),
            ),
        }
    }
}

const GATEWAY_CPU: &str = "/processes/0/cpu_s_per_1k";
const PEAK: Read = Read::At("/gateway/vmhwm_mib");
const ERRORS: Read = Read::Total("/errors");
const BACKGROUND: Read = Read::PerSecond("/other_cpu_s");

/// The rows of one scenario, built against the runs of that scenario.
struct Sheet<'a> {
    title: &'static str,
    runs: &'a Runs,
    rows: &'a mut Vec<Row>,
}

static NO_RUNS: Runs = Runs {
    direct: Vec::new(),
    studio: Vec::new(),
};

impl<'a> Sheet<'a> {
    /// A scenario that was not run (`--only`) gets no rows.
    fn new(results: &'a Results, rows: &'a mut Vec<Row>, key: &str, title: &'static str) -> Self {
        Self {
            title,
            runs: results.get(key).unwrap_or(&NO_RUNS),
            rows,
        }
    }

    /// Adds a row; a scenario that was not run (`--only`) gets none.
    fn push(
        &mut self,
        metric: &'static str,
        unit: Unit,
        values: (Option<f64>, Option<f64>),
        target: Option<Target>,
    ) {
        let (direct, studio) = values;
        if self.runs.direct.is_empty() && self.runs.studio.is_empty() {
            return;
        }
        self.rows.push(Row {
            scenario: self.title,
            metric,
            unit,
            direct,
            studio,
            target,
        });
    }

    /// The same number for direct and Studio.
    fn both(&mut self, metric: &'static str, unit: Unit, read: Read, target: Option<Target>) {
        let values = (read.over(&self.runs.direct), read.over(&self.runs.studio));
        self.push(metric, unit, values, target);
    }

    fn studio(&mut self, metric: &'static str, unit: Unit, read: Read, target: Option<Target>) {
        self.push(metric, unit, (None, read.over(&self.runs.studio)), target);
    }

    /// Studio's median minus direct's.
    fn added(&mut self, metric: &'static str, pointer: &'static str, target: Option<Target>) {
        let added = Read::At(pointer)
            .over(&self.runs.studio)
            .zip(Read::At(pointer).over(&self.runs.direct))
            .map(|(studio, direct)| studio - direct);
        self.push(metric, Unit::Ms, (None, added), target);
    }

    /// The upstream's CPU: the only tracked process direct, the second one through Studio.
    fn upstream_cpu(&mut self, metric: &'static str) {
        let values = (
            Read::At("/processes/0/cpu_s_per_1k").over(&self.runs.direct),
            Read::At("/processes/1/cpu_s_per_1k").over(&self.runs.studio),
        );
        self.push(metric, Unit::Seconds, values, None);
    }
}

pub fn rows(results: &Results) -> Vec<Row> {
    let mut rows = Vec::new();
    let at_most = |limit| Some(Target::AtMost(limit));
    let share = Some(Target::ShareOfDirect(0.40));

    // The targets are set at concurrency 32; at 1, only the added latency (unloaded) is checked.
    for (key, title, loaded) in [("chat", "chat c=32", true), ("chat_c1", "chat c=1", false)] {
        let when_loaded = |target| if loaded { target } else { None };
        let mut s = Sheet::new(results, &mut rows, key, title);
        s.both(
            "throughput req/s",
            Unit::Rate,
            Read::At("/rps"),
            when_loaded(share),
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
        s.added("added latency p50 ms", "/latency_ms/p50", at_most(0.5));
        s.added("added latency p99 ms", "/latency_ms/p99", at_most(2.0));
        s.studio(
            "gateway CPU s/1k req",
            Unit::Seconds,
            Read::At(GATEWAY_CPU),
            when_loaded(at_most(0.15)),
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
    s.both("throughput streams/s", Unit::Rate, Read::At("/rps"), share);
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
    s.studio(
        "gateway CPU s/1k streams",
        Unit::Seconds,
        Read::At(GATEWAY_CPU),
        at_most(0.6),
    );
    s.upstream_cpu("upstream CPU s/1k streams");
    s.studio("gateway peak MiB", Unit::MiB, PEAK, at_most(64.0));
    s.both("other processes, cores", Unit::Cores, BACKGROUND, None);
    s.both("errors (all reps)", Unit::Count, ERRORS, at_most(0.0));

    let mut s = Sheet::new(results, &mut rows, "slow_streams", "slow streams");
    s.studio("streams completed", Unit::Count, Read::At("/ok"), None);
    s.studio(
        "latency p50 ms",
        Unit::Ms,
        Read::At("/latency_ms/p50"),
        None,
    );
    s.studio("TTFT p50 ms", Unit::Ms, Read::At("/ttft_ms/p50"), None);
    s.studio("TTFT p99 ms", Unit::Ms, Read::At("/ttft_ms/p99"), None);
    s.studio(
        "gateway CPU s/1k streams",
        Unit::Seconds,
        Read::At(GATEWAY_CPU),
        None,
    );
    s.studio(
        "gateway idle RSS MiB",
        Unit::MiB,
        Read::At("/gateway/idle_rss_mib"),
        None,
    );
    s.studio("gateway peak MiB", Unit::MiB, PEAK, at_most(128.0));
    s.studio(
        "memory per stream KiB",
        Unit::KiB,
        Read::At("/gateway/kib_per_request"),
        None,
    );
    s.studio("other processes, cores", Unit::Cores, BACKGROUND, None);
    s.studio("errors (all reps)", Unit::Count, ERRORS, at_most(0.0));

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
        (None, latency),
        at_most(0.05),
    );
    s.push(
        "share of CPU per request",
        Unit::Percent,
        (None, cpu),
        at_most(0.05),
    );
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }
}
