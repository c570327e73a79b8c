//! `cargo xtask docs-check`: the docs page (`/docs`) in headless Chromium (Debian's `chromium`,
//! driven by `playwright-core` from npm, installed in `target/docs-node`) against a real Studio.
//! Every request off the gateway's origin is blocked and fails the check; the endpoint list must
//! render, and "Try it out" on `GET /v1/models` with an API key must show a 200 and a model id.

use std::{path::PathBuf, process::Command};

use anyhow::{bail, Result};

use crate::{
    live::{run, LiveStudio},
    process::workspace_root,
};

pub fn run_check() -> Result<()> {
    let root = workspace_root();
    let chromium = chromium()?;
    let prefix = root.join("target/docs-node");
    let module = prefix.join("node_modules/playwright-core");
    if !module.exists() {
        std::fs::create_dir_all(&prefix)?;
        run(Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg("playwright-core@^1.45"))?;
    }
    let studio = LiveStudio::start("docs-check", &[])?;
    run(Command::new("node")
        .arg(root.join("xtask/scripts/docs_check.cjs"))
        .env("STUDIO_URL", &studio.url)
        .env("CHROMIUM", &chromium)
        .env("PLAYWRIGHT_MODULE", &module))
}

/// Debian's Chromium: installed with apt-get when missing and running as root.
fn chromium() -> Result<PathBuf> {
    let find = || {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .map(PathBuf::from)
            .find(|path| path.exists())
    };
    if let Some(path) = find() {
        return Ok(path);
    }
    let root = Command::new("id").arg("-u").output()?.stdout == b"0\n";
    if !root {
        bail!("docs-check needs Chromium: sudo apt-get install -y chromium");
    }
    eprintln!("xtask: installing Chromium (apt-get install -y chromium)");
    run(Command::new("apt-get").args(["install", "-y", "-q", "chromium"])).or_else(|_| {
        run(Command::new("apt-get").args(["update", "-q"]))?;
        run(Command::new("apt-get").args(["install", "-y", "-q", "chromium"]))
    })?;
    find().ok_or_else(|| anyhow::anyhow!("apt-get installed chromium, but it is not in /usr/bin"))
}
