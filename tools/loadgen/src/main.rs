//! `studio-loadgen`: a small closed-loop HTTP/1.1 load generator for `cargo xtask bench`.
//!
//! Each of `--concurrency` workers owns one keep-alive connection (`TCP_NODELAY`) and sends the
//! same prebuilt request again as soon as the previous response has been read to the end.
//! Latency is measured from the first byte written to the last byte read; for server-sent event
//! streams also the time to the first body bytes holding `data:` (TTFT). It runs on one thread
//! by default because on a small machine it shares the cores with the servers it measures.

mod args;
mod cpu;
mod http;
mod report;
mod wire;
mod worker;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use args::{Args, Stop};
use report::Summary;
use worker::{Plan, Tally};

/// Room for the latencies one worker is likely to record, so the hot loop rarely grows a Vec.
fn latency_capacity(args: &Args) -> usize {
    let total = match args.stop {
        Stop::Requests(n) => n as usize,
        Stop::After(duration) => (duration.as_secs_f64() * 100_000.0) as usize,
    };
    (total / args.concurrency + 1).min(1 << 20)
}

async fn run(args: &Args) -> Result<serde_json::Value> {
    let start = Instant::now();
    let measure_from = start + args.warmup;
    let plan = Arc::new(Plan {
        addr: args.addr,
        request: args.request_bytes(),
        timeout: args.timeout,
        measure_from,
        deadline: match args.stop {
            Stop::After(duration) => Some(measure_from + duration),
            Stop::Requests(_) => None,
        },
        budget: match args.stop {
            Stop::Requests(n) => Some(AtomicU64::new(n)),
            Stop::After(_) => None,
        },
    });
    let cpu_at_start = tokio::spawn({
        let pids = args.pids.clone();
        async move {
            tokio::time::sleep_until(measure_from.into()).await;
            cpu::Snapshot::take(&pids)
        }
    });
    let capacity = latency_capacity(args);
    let workers: Vec<_> = (0..args.concurrency)
        .map(|i| {
            let start_after = args.ramp.mul_f64(i as f64 / args.concurrency as f64);
            tokio::spawn(worker::run(Arc::clone(&plan), capacity, start_after))
        })
        .collect();
    let mut tally = Tally::default();
    for worker in workers {
        tally.merge(worker.await?);
    }
    let end = Instant::now();
    let cpu = cpu::Usage::between(&cpu_at_start.await?, &cpu::Snapshot::take(&args.pids));
    let summary = Summary {
        url: format!("http://{}{}", args.host, args.path),
        concurrency: args.concurrency,
        elapsed: end
            .saturating_duration_since(measure_from)
            .max(Duration::from_micros(1)),
        cpu,
    };
    Ok(report::to_json(tally, &summary))
}

fn main() -> Result<()> {
    if std::env::args().any(|a| a == "--help" || a == "-h") {
        println!("{}", args::USAGE);
        return Ok(());
    }
    let args = Args::parse(std::env::args().skip(1))?;
    if let Some(limit) = cpu::open_files_limit() {
        if limit < args.concurrency as u64 + 64 {
            bail!(
                "--concurrency {} needs more open files than the limit of {limit}: raise it first \
                 (ulimit -n {})",
                args.concurrency,
                args.concurrency + 1024
            );
        }
    }
    let runtime = if args.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()?
    };
    let result = runtime.block_on(run(&args))?;
    if args.json {
        println!("{result}");
    } else {
        println!("{}", report::to_text(&result));
    }
    Ok(())
}
