//! Developer tasks: `cargo xtask <dev|test|lint|migrate|admin|sdk-check|docs-check|fuzz|openapi|bench|soak|ci>`.

mod bench;
mod docs_check;
mod fuzz;
mod live;
mod openapi;
mod process;
mod sdk_check;
mod soak;

use anyhow::{bail, Result};
use process::{cargo, workspace_root};

const USAGE: &str = "usage: cargo xtask <command>

  dev       run Studio for development (gateway on SQLite + the dev inference server)
  test      run the whole test suite (SQLite always; PostgreSQL too when TEST_DATABASE_URL is set)
  lint      cargo fmt --check and clippy with -D warnings
  migrate   apply pending migrations to DATABASE_URL (default ./data/studio.db)
  admin     studio-gateway admin … on DATABASE_URL: create-user, set-role, disable, enable
            (cargo xtask admin create-user --email you@example.com --admin)
  sdk-check the official OpenAI Python SDK against a running Studio (needs python3; installs
            openai into target/sdk-venv)
  openapi   rewrite docs/openapi.json from the code (a test fails while it is out of date)
  docs-check
            open /docs in headless Chromium against a running Studio, with every request off the
            gateway's origin blocked, and Try it out on GET /v1/models (installs playwright-core
            into target/docs-node; Chromium from apt-get when root)
  fuzz      schemathesis against a running Studio's /api/openapi.json, every operation (installs
            schemathesis into target/fuzz-venv)
  bench     load-test the release gateway against the dev inference server, direct vs through
            Studio (cargo xtask bench --help; results in target/bench/latest.json)
  soak      minutes of mixed traffic with client aborts, upstream faults and a database outage,
            then a reconciliation of usage records (cargo xtask soak [--minutes M]
            [--postgres ADMIN_URL] [--clients N]); not in CI
  ci        lint + test (with docs-check and fuzz) + sdk-check, what CI runs";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::env::set_current_dir(workspace_root())?;
    match args.first().map(String::as_str) {
        Some("dev") => dev(),
        Some("test") => test(&args[1..]),
        Some("lint") => lint(),
        Some("migrate") => cargo(&["run", "--quiet", "--bin", "studio-gateway", "--", "migrate"]),
        Some("admin") => {
            let mut forwarded = vec!["run", "--quiet", "--bin", "studio-gateway", "--", "admin"];
            forwarded.extend(args[1..].iter().map(String::as_str));
            cargo(&forwarded)
        }
        Some("sdk-check") => sdk_check::run_check(),
        Some("docs-check") => docs_check::run_check(),
        Some("openapi") => openapi::write(),
        Some("fuzz") => fuzz::run_fuzz(),
        Some("bench") => bench::run(&args[1..]),
        Some("soak") => soak::run(&args[1..]),
        Some("ci") => {
            lint()?;
            test(&[])?;
            sdk_check::run_check()
        }
        _ => {
            eprintln!("{USAGE}");
            bail!("unknown or missing command")
        }
    }
}

fn test(extra: &[String]) -> Result<()> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            eprintln!("xtask: tests run on SQLite and on PostgreSQL ({url})")
        }
        _ => eprintln!("xtask: tests run on SQLite only (set TEST_DATABASE_URL to add PostgreSQL)"),
    }
    let mut args = vec!["test", "--workspace", "--locked"];
    args.extend(extra.iter().map(String::as_str));
    cargo(&args)?;
    // The docs page in a real browser, then the fuzzer over every documented operation (after
    // the cargo tests, which check the document itself).
    docs_check::run_check()?;
    fuzz::run_fuzz()
}

fn lint() -> Result<()> {
    cargo(&["fmt", "--all", "--", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ])
}

fn dev() -> Result<()> {
    process::build_studio()?;
    let target = process::target_dir().join("debug");
    // The dev inference server stands in for vLLM/Ollama at INFERENCE_SERVICE_URL's default.
    let mut inference = std::process::Command::new(target.join("studio-dev-inference"))
        .env("DEV_INFERENCE_BIND", "127.0.0.1:8001")
        .spawn()?;
    let status = std::process::Command::new(target.join("studio-gateway"))
        .env(
            "STUDIO_ENV",
            std::env::var("STUDIO_ENV").unwrap_or_else(|_| "development".into()),
        )
        .status();
    let _ = inference.kill();
    let status = status?;
    if !status.success() {
        bail!("studio-gateway exited with {status}");
    }
    Ok(())
}
