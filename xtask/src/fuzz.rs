//! `cargo xtask fuzz`: schemathesis (from PyPI, in `target/fuzz-venv`) against a live Studio,
//! every operation of its own OpenAPI document, with a registered user's JWT and API key
//! (xtask/scripts/fuzz_hooks.py). Fails on any 5xx, any status, header, content type or body
//! the document does not describe, and any response slower than the limit. Bounded: a fixed
//! number of examples per operation and a fixed seed, so a run takes minutes and repeats.

use std::process::Command;

use anyhow::Result;

use crate::live::{run, LiveStudio};
use crate::process::workspace_root;

const EXAMPLES_PER_OPERATION: &str = "40";
const SEED: &str = "20261202";
/// Seconds; the slowest honest answers (argon2 hashing in a debug build, an image) are well under.
const MAX_RESPONSE_SECS: &str = "10";
/// The accounts the hooks sign in with (one after another, as the fuzzer disables them).
const FUZZ_USERS: usize = 10;
const PASSWORD: &str = "fuzzing is a feature";
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_headers_conformance,response_schema_conformance";

pub fn run_fuzz() -> Result<()> {
    let root = workspace_root();
    let venv = root.join("target/fuzz-venv");
    let bin = venv.join("bin");
    if !bin.join("python").exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    run(Command::new(bin.join("python")).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "schemathesis>=4.3,<5",
    ]))?;
    // The fuzzer signs in and out thousands of times from one address: no sign-in throttle.
    // Its users are admins, so the operators' routes are fuzzed past their 403.
    let admins: Vec<String> = (0..FUZZ_USERS)
        .map(|n| format!("fuzz-{n}@example.com"))
        .collect();
    let throttle_off = [("STUDIO_AUTH_RATE_LIMIT", "1000000")];
    let studio = LiveStudio::start_with_admins("fuzz", &throttle_off, &admins, PASSWORD)?;
    let report = root.join("target/fuzz-report");
    std::fs::create_dir_all(&report)?;
    run(Command::new(bin.join("schemathesis"))
        .arg("run")
        .arg(format!("{}/api/openapi.json", studio.url))
        .args(["--wait-for-schema", "30"])
        .args(["--checks", CHECKS])
        .args(["--max-examples", EXAMPLES_PER_OPERATION])
        .args(["--seed", SEED])
        .args(["--request-timeout", MAX_RESPONSE_SECS])
        .args(["--max-response-time", MAX_RESPONSE_SECS])
        .args(["--max-time", "200"])
        .args(["--generation-database", "none"])
        .args(["--workers", "2", "--no-color"])
        .arg("--report-dir")
        .arg(&report)
        .args(["--report", "junit"])
        // schemathesis keeps a cache in its working directory: keep it under target/.
        .current_dir(&report)
        .env("PYTHONPATH", root.join("xtask/scripts"))
        .env("SCHEMATHESIS_HOOKS", "fuzz_hooks")
        .env("FUZZ_USERS", FUZZ_USERS.to_string())
        .env("FUZZ_PASSWORD", PASSWORD)
        .env("STUDIO_URL", &studio.url))
}
