//! `cargo xtask bench`'s command line.

use std::time::Duration;

use anyhow::{bail, Context, Result};

pub const USAGE: &str = "usage: cargo xtask bench [options]

  --postgres URL        run the gateway on this (dedicated) PostgreSQL database instead of SQLite
  --reps N              repetitions of every run; the table shows medians (default 3)
  --quick               3-second runs and 3-second slow streams instead of 10 s runs and
                        30-second slow streams (one token a second)
  --gateway-workers N   STUDIO_WORKERS for the gateway (default 2, one per core here)
  --slow-streams N      concurrent streams in the slow_streams scenario (default 2000); past ~9,000
                        the gateway needs more open files than a hard limit of 20,000: run the
                        bench under `prlimit --nofile=65536`
  --no-nginx            leave nginx out even when it is installed
  --only A,B            run only these scenarios (chat, chat_c1, stream, images, images_c1, slow_streams,
                        models_key, models_jwt, healthz)
  --quiet-wait SECS     before each run, wait up to this long for other processes to leave the
                        cores idle (default 120; 0: do not wait)
  --no-build            use the release binaries already built
  --metrics             run the scenarios again with STUDIO_METRICS_BIND set and print the
                        gateway's CPU per 1,000 requests with metrics off and on";

pub(super) struct Options {
    pub(super) postgres: Option<String>,
    pub(super) reps: usize,
    pub(super) quick: bool,
    pub(super) gateway_workers: usize,
    pub(super) build: bool,
    pub(super) help: bool,
    pub(super) only: Option<Vec<String>>,
    pub(super) patience: Duration,
    pub(super) slow_streams: Option<usize>,
    pub(super) nginx: bool,
    pub(super) metrics: bool,
}

pub(super) fn parse(args: &[String]) -> Result<Options> {
    let mut options = Options {
        postgres: None,
        reps: 3,
        quick: false,
        gateway_workers: 2,
        build: true,
        help: false,
        only: None,
        patience: Duration::from_secs(120),
        slow_streams: None,
        nginx: true,
        metrics: false,
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .with_context(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--postgres" => options.postgres = Some(value()?.clone()),
            "--reps" => options.reps = positive(flag, value()?)?,
            "--gateway-workers" => options.gateway_workers = positive(flag, value()?)?,
            "--slow-streams" => options.slow_streams = Some(positive(flag, value()?)?),
            "--no-nginx" => options.nginx = false,
            "--only" => options.only = Some(value()?.split(',').map(str::to_owned).collect()),
            "--quiet-wait" => {
                options.patience = value()?
                    .parse()
                    .map(Duration::from_secs)
                    .context("--quiet-wait: whole seconds")?
            }
            "--quick" => options.quick = true,
            "--no-build" => options.build = false,
            "--metrics" => options.metrics = true,
            "--help" | "-h" => options.help = true,
            other => bail!("unknown bench argument `{other}`\n{USAGE}"),
        }
    }
    Ok(options)
}

fn positive(flag: &str, value: &str) -> Result<usize> {
    value
        .parse()
        .ok()
        .filter(|&n| n > 0)
        .with_context(|| format!("{flag}: a positive integer"))
}
