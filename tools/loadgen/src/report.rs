//! Turning the merged tallies into the summary: percentiles, rates, CPU time from /proc.

use std::time::Duration;

use serde_json::{json, Value};

use crate::cpu::Usage;
use crate::worker::Tally;

/// Nearest-rank percentile of sorted microseconds, in milliseconds.
fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    f64::from(sorted[index]) / 1000.0
}

/// Per-request CPU times are tiny (10 µs is 0.01 s per 1,000): keep six decimals for them.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn distribution(values: &mut [u32]) -> Value {
    values.sort_unstable();
    let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / values.len().max(1) as f64;
    json!({
        "p50": round3(percentile_ms(values, 0.50)),
        "p90": round3(percentile_ms(values, 0.90)),
        "p99": round3(percentile_ms(values, 0.99)),
        "max": round3(percentile_ms(values, 1.0)),
        "mean": round3(mean / 1000.0),
    })
}

pub(crate) struct Summary {
    pub url: String,
    pub concurrency: usize,
    pub elapsed: Duration,
    /// CPU seconds over the measured window.
    pub cpu: Usage,
}

pub(crate) fn to_json(mut tally: Tally, summary: &Summary) -> Value {
    let ok = tally.latencies_us.len() as u64;
    let errors = tally.non_2xx + tally.io_errors + tally.timeouts;
    let secs = summary.elapsed.as_secs_f64().max(1e-9);
    let ttft = (!tally.ttft_us.is_empty()).then(|| distribution(&mut tally.ttft_us));
    let events_per_response = (ok > 0 && tally.events > 0).then(|| tally.events as f64 / ok as f64);
    let per_1k = |cpu: f64| round6(cpu * 1000.0 / (ok + errors).max(1) as f64);
    let processes: Vec<Value> = summary
        .cpu
        .pids
        .iter()
        .map(|&(pid, cpu)| {
            json!({
                "pid": pid,
                "cpu_s": cpu.map(round3),
                "cpu_s_per_1k": cpu.map(per_1k),
            })
        })
        .collect();
    json!({
        "url": summary.url,
        "concurrency": summary.concurrency,
        "requests": ok + errors,
        "ok": ok,
        "errors": errors,
        "non_2xx": tally.non_2xx,
        "io_errors": tally.io_errors,
        "timeouts": tally.timeouts,
        "duration_s": round3(secs),
        "rps": round3(ok as f64 / secs),
        "latency_ms": distribution(&mut tally.latencies_us),
        "ttft_ms": ttft,
        "events_per_response": events_per_response.map(round3),
        "processes": processes,
        "loadgen_cpu_s": summary.cpu.loadgen.map(round3),
        "machine_cpu_s": summary.cpu.machine.map(round3),
        "other_cpu_s": summary.cpu.others().map(round3),
    })
}

pub(crate) fn to_text(value: &Value) -> String {
    let ms = |key: &str, p: &str| value[key][p].as_f64().unwrap_or_default();
    let mut text = format!(
        "{} requests ({} errors) in {:.2} s: {:.0} req/s\nlatency ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  max {:.3}",
        value["requests"],
        value["errors"],
        value["duration_s"].as_f64().unwrap_or_default(),
        value["rps"].as_f64().unwrap_or_default(),
        ms("latency_ms", "p50"),
        ms("latency_ms", "p90"),
        ms("latency_ms", "p99"),
        ms("latency_ms", "max"),
    );
    if !value["ttft_ms"].is_null() {
        text.push_str(&format!(
            "\nttft ms:    p50 {:.3}  p99 {:.3}  ({} events per response)",
            ms("ttft_ms", "p50"),
            ms("ttft_ms", "p99"),
            value["events_per_response"],
        ));
    }
    for process in value["processes"].as_array().into_iter().flatten() {
        text.push_str(&format!(
            "\npid {}: {} CPU s, {} s per 1,000 requests",
            process["pid"], process["cpu_s"], process["cpu_s_per_1k"]
        ));
    }
    text.push_str(&format!(
        "\nCPU s: loadgen {}, other processes {}",
        value["loadgen_cpu_s"], value["other_cpu_s"]
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let sorted: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile_ms(&sorted, 0.50), 50.0);
        assert_eq!(percentile_ms(&sorted, 0.99), 99.0);
        assert_eq!(percentile_ms(&sorted, 1.0), 100.0);
        assert_eq!(percentile_ms(&[], 0.5), 0.0);
    }
}
