//! From every run to numbers: medians over the repetitions, read through a `Sheet` per scenario.
//! Which rows the table has, and their targets, is `table_rows.rs`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::row::{Row, Target, Unit};

/// Every run of one scenario, as loadgen reported them (plus the gateway's memory).
#[derive(Debug, Default)]
pub struct Runs {
    pub direct: Vec<Value>,
    /// The same load as direct through nginx (empty when nginx is not installed).
    pub nginx: Vec<Value>,
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
pub(super) enum Read {
    /// The number at this JSON pointer.
    At(&'static str),
    /// Summed over the runs instead of their median (error counts).
    Total(&'static str),
    /// A CPU time per second of the run: cores in use.
    PerSecond(&'static str),
}

impl Read {
    pub(super) fn over(self, runs: &[Value]) -> Option<f64> {
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

/// The proxy's CPU (Studio's gateway, or nginx's master and worker) per 1,000 requests.
pub(super) const GATEWAY_CPU: &str = "/proxy_cpu_s_per_1k";
pub(super) const PEAK: Read = Read::At("/gateway/vmhwm_mib");
pub(super) const ERRORS: Read = Read::Total("/errors");
pub(super) const BACKGROUND: Read = Read::PerSecond("/other_cpu_s");

/// The rows of one scenario, built against the runs of that scenario.
pub(super) struct Sheet<'a> {
    title: &'static str,
    runs: &'a Runs,
    rows: &'a mut Vec<Row>,
}

static NO_RUNS: Runs = Runs {
    direct: Vec::new(),
    nginx: Vec::new(),
    studio: Vec::new(),
};

/// A row's numbers: direct, through nginx, through Studio.
pub(super) type Values = (Option<f64>, Option<f64>, Option<f64>);

impl<'a> Sheet<'a> {
    /// A scenario that was not run (`--only`) gets no rows.
    pub(super) fn new(
        results: &'a Results,
        rows: &'a mut Vec<Row>,
        key: &str,
        title: &'static str,
    ) -> Self {
        Self {
            title,
            runs: results.get(key).unwrap_or(&NO_RUNS),
            rows,
        }
    }

    /// Adds a row; a scenario that was not run (`--only`) gets none.
    pub(super) fn push(
        &mut self,
        metric: &'static str,
        unit: Unit,
        values: Values,
        target: Option<Target>,
    ) {
        let (direct, nginx, studio) = values;
        if self.runs.direct.is_empty() && self.runs.studio.is_empty() {
            return;
        }
        self.rows.push(Row {
            scenario: self.title,
            metric,
            unit,
            direct,
            nginx,
            studio,
            target,
        });
    }

    /// The same number for direct, nginx and Studio.
    pub(super) fn both(
        &mut self,
        metric: &'static str,
        unit: Unit,
        read: Read,
        target: Option<Target>,
    ) {
        let values = (
            read.over(&self.runs.direct),
            read.over(&self.runs.nginx),
            read.over(&self.runs.studio),
        );
        self.push(metric, unit, values, target);
    }

    /// The proxy's CPU per 1,000 (nginx and Studio), then Studio's as a multiple of nginx's.
    pub(super) fn proxy_cpu(
        &mut self,
        metric: &'static str,
        target: Option<Target>,
        times_nginx: Option<Target>,
    ) {
        let read = Read::At(GATEWAY_CPU);
        let (nginx, studio) = (read.over(&self.runs.nginx), read.over(&self.runs.studio));
        self.push(metric, Unit::Seconds, (None, nginx, studio), target);
        if let Some(nginx) = nginx.filter(|&n| n > 0.0) {
            let times = studio.map(|s| s / nginx);
            self.push(
                "gateway CPU x nginx's",
                Unit::Times,
                (None, None, times),
                times_nginx,
            );
        }
    }

    pub(super) fn studio(
        &mut self,
        metric: &'static str,
        unit: Unit,
        read: Read,
        target: Option<Target>,
    ) {
        self.push(
            metric,
            unit,
            (None, None, read.over(&self.runs.studio)),
            target,
        );
    }

    /// Latency p50 and p99 both ways, then what Studio adds to each (with their targets).
    pub(super) fn latencies(&mut self, added_p50: Option<Target>, added_p99: Option<Target>) {
        self.both(
            "latency p50 ms",
            Unit::Ms,
            Read::At("/latency_ms/p50"),
            None,
        );
        self.both(
            "latency p99 ms",
            Unit::Ms,
            Read::At("/latency_ms/p99"),
            None,
        );
        self.added("added latency p50 ms", "/latency_ms/p50", added_p50);
        self.added("added latency p99 ms", "/latency_ms/p99", added_p99);
    }

    pub(super) fn added(
        &mut self,
        metric: &'static str,
        pointer: &'static str,
        target: Option<Target>,
    ) {
        // Each proxy's median minus direct's.
        let read = Read::At(pointer);
        let direct = read.over(&self.runs.direct);
        let added = |runs: &[Value]| Some(read.over(runs)? - direct?);
        let values = (None, added(&self.runs.nginx), added(&self.runs.studio));
        self.push(metric, Unit::Ms, values, target);
    }

    /// The upstream's CPU, tracked on every side.
    pub(super) fn upstream_cpu(&mut self, metric: &'static str) {
        self.both(
            metric,
            Unit::Seconds,
            Read::At("/upstream_cpu_s_per_1k"),
            None,
        );
    }
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
