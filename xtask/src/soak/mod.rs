//! `cargo xtask soak`: minutes of mixed traffic (answers, streams, client aborts, upstream
//! faults) with one database outage in the middle, then a reconciliation of what Studio
//! recorded against what was sent and what the dev inference server says it produced.
//! Not part of CI: it takes as long as it is told to (10 minutes by default).

mod outage;
mod traffic;

use std::{
    collections::BTreeMap,
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::{
    bench::{client, servers},
    process::{build_studio, target_dir},
};
use traffic::Kind;

struct Options {
    minutes: f64,
    postgres: Option<String>,
    clients: usize,
}

fn options(args: &[String]) -> Result<Options> {
    let mut options = Options {
        minutes: 10.0,
        postgres: None,
        clients: 6,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().context("missing value");
        match arg.as_str() {
            "--minutes" => options.minutes = value()?.parse()?,
            "--postgres" => options.postgres = Some(value()?.clone()),
            "--clients" => options.clients = value()?.parse()?,
            _ => {
                bail!("usage: cargo xtask soak [--minutes M] [--postgres ADMIN_URL] [--clients N]")
            }
        }
    }
    Ok(options)
}

pub fn run(args: &[String]) -> Result<()> {
    let options = options(args)?;
    build_studio()?;
    let bin = target_dir().join("debug");
    let dir = target_dir().join("soak");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let database = outage::Database::create(&dir, options.postgres.as_deref())?;
    let inference = servers::start_inference(&bin, &dir)?;
    write_catalog(&dir, inference.addr)?;
    let gateway = start_gateway(&bin, &dir, &database.url)?;
    let token = sign_up(gateway.addr)?;

    let duration = Duration::from_secs_f64(options.minutes * 60.0);
    let started = Instant::now();
    let until = started + duration;
    let threads: Vec<_> = (0..options.clients)
        .map(|i| {
            let (addr, token) = (gateway.addr, token.clone());
            std::thread::spawn(move || traffic::client(addr, token, 0x5eed + i as u64, until))
        })
        .collect();
    // The outage: 20 s starting 40% of the way in.
    std::thread::sleep(duration.mul_f64(0.4));
    println!("soak: database outage begins");
    let outage = database.outage()?;
    std::thread::sleep(Duration::from_secs(20).min(duration / 4));
    outage.end()?;
    println!("soak: database outage ends");
    let mut sent: BTreeMap<Kind, u64> = BTreeMap::new();
    for thread in threads {
        let counts = thread
            .join()
            .map_err(|_| anyhow::anyhow!("a client thread panicked"))?;
        for (kind, count) in counts {
            *sent.entry(kind).or_insert(0) += count;
        }
    }
    drain(gateway.addr)?;
    let report = client::request(gateway.addr, "GET", "/api/usage", Some(&token), None)?;
    let report: Value = serde_json::from_str(&report.body)?;
    let stats = client::request(inference.addr, "GET", "/stats", None, None)?;
    let stats: Value = serde_json::from_str(&stats.body)?;
    drop(gateway);
    drop(inference);
    let ok = reconcile(&sent, &report, &stats, started.elapsed());
    database.drop_it();
    if !ok {
        bail!("the soak's records do not reconcile");
    }
    Ok(())
}

fn write_catalog(dir: &Path, inference: std::net::SocketAddr) -> Result<()> {
    let mut catalog = String::from("# Written by cargo xtask soak.\n\n");
    for kind in Kind::ALL {
        catalog += &format!(
            "[[models]]\nid = \"{}\"\ntype = \"chat\"\nmaxOutputTokens = 4096\n\
             [[models.upstreams]]\nbaseUrl = \"http://{inference}/v1\"\nmodel = \"{}\"\n\n",
            kind.model(),
            kind.upstream()
        );
    }
    std::fs::write(dir.join("models.toml"), catalog)?;
    Ok(())
}

fn start_gateway(bin: &Path, dir: &Path, database_url: &str) -> Result<servers::Server> {
    let addr = servers::free_addr()?;
    let secret = servers::random_secret()?;
    let mut command = Command::new(bin.join("studio-gateway"));
    command
        .current_dir(dir)
        .env("STUDIO_ENV", "testing")
        .env("STUDIO_BIND", addr.to_string())
        .env("DATABASE_URL", database_url)
        .env("STUDIO_DATA_DIR", dir.join("data"))
        .env("STUDIO_MODELS_FILE", dir.join("models.toml"))
        .env("STUDIO_LOG", "warn")
        .env("STUDIO_AUTH_RATE_LIMIT", "100000")
        .env("JWT_SECRET_KEY", &secret)
        .env("SECRET_KEY", &secret)
        .env("JWT_ACCESS_TOKEN_LIFETIME", "600");
    let mut server = servers::Server::spawn(
        "studio-gateway",
        addr,
        &mut command,
        &dir.join("gateway.log"),
    )?;
    server.wait_ready("/healthz")?;
    Ok(server)
}

fn sign_up(addr: std::net::SocketAddr) -> Result<String> {
    let body = json!({"email": "soak@example.com", "password": "correct horse battery"});
    let reply = client::request(addr, "POST", "/api/auth/register", None, Some(&body))?;
    let reply: Value = serde_json::from_str(&reply.body)?;
    reply["accessToken"]
        .as_str()
        .map(str::to_owned)
        .context("sign-up gave no access token")
}

/// Waits until the usage writer has nothing queued or journaled.
fn drain(addr: std::net::SocketAddr) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let ready: Value =
            serde_json::from_str(&client::request(addr, "GET", "/readyz", None, None)?.body)?;
        let writer = &ready["usageWriter"];
        if writer["queued"] == 0 && writer["journaled"] == 0 && ready["status"] == "ready" {
            // One more flush interval for records still being estimated.
            std::thread::sleep(Duration::from_secs(2));
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the usage writer did not drain: {ready}");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Prints the reconciliation table; true when every check holds.
fn reconcile(sent: &BTreeMap<Kind, u64>, report: &Value, stats: &Value, took: Duration) -> bool {
    let by_model = |model: &str, field: &str| -> i64 {
        report["byModel"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["model"] == model))
            .and_then(|r| r[field].as_i64())
            .unwrap_or(0)
    };
    let total_sent: u64 = sent.values().sum();
    let recorded = report["totals"]["requests"].as_i64().unwrap_or(0);
    println!(
        "\nsoak: {total_sent} requests in {:.0} s\n",
        took.as_secs_f64()
    );
    println!("| kind | model | sent | recorded | cancelled | total tokens |");
    println!("| --- | --- | ---: | ---: | ---: | ---: |");
    for kind in Kind::ALL {
        println!(
            "| {kind:?} | {} | {} | {} | {} | {} |",
            kind.model(),
            sent.get(&kind).copied().unwrap_or(0),
            by_model(kind.model(), "requests"),
            by_model(kind.model(), "cancelledRequests"),
            by_model(kind.model(), "totalTokens"),
        );
    }
    let metered = by_model(Kind::Stream.model(), "totalTokens")
        + by_model(Kind::Answer.model(), "totalTokens");
    let reported = stats["usage_tokens_reported"].as_i64().unwrap_or(-1);
    let cancelled = by_model(Kind::AbortedStream.model(), "completionTokens");
    let abandoned = stats["abandoned_stream_tokens"].as_i64().unwrap_or(-1);
    let drift = if abandoned > 0 {
        (cancelled - abandoned) as f64 / abandoned as f64 * 100.0
    } else {
        0.0
    };
    let checks = [
        (
            "usage records = requests sent",
            recorded == total_sent as i64,
            format!("{recorded} = {total_sent}"),
        ),
        (
            "tokens of completed requests = the upstream's usage",
            metered == reported,
            format!("{metered} = {reported}"),
        ),
        (
            "cancelled streams' tokens within 2% of what the upstream sent",
            drift.abs() <= 2.0,
            format!("{cancelled} vs {abandoned} ({drift:+.2}%)"),
        ),
    ];
    println!("\n| check | holds | numbers |\n| --- | --- | --- |");
    for (name, holds, numbers) in &checks {
        println!(
            "| {name} | {} | {numbers} |",
            if *holds { "yes" } else { "NO" }
        );
    }
    checks.iter().all(|(_, holds, _)| *holds)
}
