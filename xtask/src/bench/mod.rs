//! `cargo xtask bench`: throughput, latency, CPU and memory of the gateway, each scenario sent
//! straight to the dev inference server, through nginx (the limit, when installed) and through
//! Studio in the same run, interleaved per repetition.
//!
//! Release binaries; the dev inference server with one worker; the gateway restarted before
//! every measured Studio run (so its peak memory belongs to that run) on a fresh SQLite file
//! under `target/bench/` or on `--postgres URL`; `studio-loadgen` as the client. Prints one
//! table of medians over `--reps` and writes every run to `target/bench/results-<time>.json`.

pub(crate) mod client;
mod measure;
mod metrics_cost;
mod nginx;
mod options;
mod quiet;
mod row;
mod scenarios;
pub(crate) mod servers;
mod summary;
mod table;
mod table_rows;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;
use serde_json::{json, Value};

use crate::process::{cargo, workspace_root};
use options::parse;
pub use options::USAGE;
use scenarios::{Credentials, Timing};
use servers::GatewaySetup;

/// Where cargo puts release binaries: `$CARGO_TARGET_DIR/release`, else `target/release`.
fn release_dir() -> PathBuf {
    crate::process::target_dir().join("release")
}

fn unix_time() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn machine() -> Value {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'));
    json!({
        "cpus": std::thread::available_parallelism().map(usize::from).unwrap_or(0),
        "cpuModel": model.map(|(_, m)| m.trim()),
        "kernel": read("/proc/sys/kernel/osrelease").trim(),
        "loadAverageAfter": read("/proc/loadavg").trim(),
    })
}

pub fn run(args: &[String]) -> Result<()> {
    let options = parse(args)?;
    if options.help {
        println!("{USAGE}");
        return Ok(());
    }
    if options.build {
        cargo(&[
            "build",
            "--release",
            "-p",
            "studio-gateway",
            "-p",
            "studio-dev-inference",
            "-p",
            "studio-loadgen",
        ])?;
    }
    let bin = release_dir();
    let dir = workspace_root().join("target/bench");
    std::fs::create_dir_all(&dir)?;
    let started = unix_time();
    let load_average = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!(
        "xtask: load average before the bench: {}",
        load_average.trim()
    );
    let mut timing = Timing::new(options.quick);
    if let Some(n) = options.slow_streams {
        timing.slow_streams = n;
    }
    let nginx_bin = if options.nginx { nginx::find() } else { None };

    let inference = servers::start_inference(&bin, &dir)?;
    servers::write_catalog(&dir, inference.addr, &timing)?;
    let database_url = match &options.postgres {
        Some(url) => url.clone(),
        None => {
            let db = dir.join("studio.db");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(dir.join(format!("studio.db{suffix}")));
            }
            format!("sqlite://{}", db.display())
        }
    };
    let setup = GatewaySetup {
        bin: bin.clone(),
        dir: dir.clone(),
        database_url,
        inference: inference.addr,
        workers: options.gateway_workers,
        jwt_secret: servers::random_secret()?,
        secret: servers::random_secret()?,
        metrics: false,
    };
    let credentials = {
        let gateway = setup.start()?;
        let email = format!("bench-{started}-{}@example.com", std::process::id());
        let (jwt, api_key) = client::register_and_issue_key(gateway.addr, &email)?;
        Credentials { api_key, jwt }
    };

    let nginx_setup = nginx_bin.map(|bin| nginx::NginxSetup {
        bin,
        prefix: dir.join("nginx"),
        upstream: inference.addr,
    });
    let bench = measure::Bench {
        bin: &bin,
        inference: &inference,
        gateway: &setup,
        nginx: nginx_setup.as_ref(),
        credentials: &credentials,
        timing: &timing,
        reps: options.reps,
        patience: options.patience,
    };
    let run_all = |bench: &measure::Bench<'_>| -> Result<summary::Results> {
        let mut results = summary::Results::new();
        for scenario in scenarios::all(&dir, &timing)? {
            if options
                .only
                .as_ref()
                .is_some_and(|only| !only.iter().any(|k| k == scenario.key))
            {
                continue;
            }
            results.insert(scenario.key, bench.scenario(&scenario)?);
        }
        Ok(results)
    };
    let results = run_all(&bench)?;
    let with_metrics = if options.metrics {
        let on = setup.with_metrics();
        Some(run_all(&measure::Bench {
            gateway: &on,
            ..bench
        })?)
    } else {
        None
    };
    drop(inference);

    let rows = table_rows::rows(&results);
    let table = table::render(&rows);
    println!("{table}");
    if let Some(on) = &with_metrics {
        println!("{}", metrics_cost::compare(&results, on));
    }
    let runs: serde_json::Map<String, Value> = results
        .iter()
        .map(|(key, runs)| {
            (
                (*key).to_owned(),
                json!({ "direct": runs.direct, "nginx": runs.nginx, "studio": runs.studio }),
            )
        })
        .collect();
    let document = json!({
        "unixTime": started,
        "machine": machine(),
        "loadAverageBefore": load_average.trim(),
        "options": {
            "reps": options.reps,
            "quick": options.quick,
            "database": if options.postgres.is_some() { "postgres" } else { "sqlite" },
            "gatewayWorkers": options.gateway_workers,
            "quietWaitSecs": options.patience.as_secs(),
            "inferenceWorkers": 1,
            "nginx": nginx_setup.is_some(),
            "loadgenThreads": 1,
            "durationSecs": timing.duration_secs,
            "warmupSecs": timing.warmup_secs,
            "slowStreams": timing.slow_streams,
            "slowStreamRampSecs": timing.slow_ramp_secs,
            "slowStreamUpstreamModel":
                scenarios::slow_upstream_model(timing.slow_tokens, timing.slow_delay_ms),
            "upstreamModel": scenarios::FAST_UPSTREAM_MODEL,
        },
        "summary": Value::Array(rows.iter().map(row::Row::to_json).collect()),
        "table": table,
        "runs": runs,
    });
    let text = serde_json::to_string_pretty(&document)?;
    let file = dir.join(format!("results-{started}.json"));
    std::fs::write(&file, &text)?;
    std::fs::write(dir.join("latest.json"), &text)?;
    eprintln!(
        "xtask: results written to {} (and target/bench/latest.json)",
        file.display()
    );
    Ok(())
}
