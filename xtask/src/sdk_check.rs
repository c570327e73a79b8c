//! `cargo xtask sdk-check`: the official OpenAI Python SDK against a real Studio (gateway on a
//! temporary SQLite file, the dev inference server upstream), installed in a virtualenv.

use std::{path::Path, process::Command};

use anyhow::Result;

use crate::live::{run, LiveStudio};
use crate::process::workspace_root;

pub fn run_check() -> Result<()> {
    let root = workspace_root();
    let studio = LiveStudio::start("sdk-check", &[])?;
    let venv = root.join("target/sdk-venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "openai>=1.40",
    ]))?;
    run(Command::new(&python)
        .arg(Path::new(&root).join("xtask/scripts/openai_sdk_check.py"))
        .env("STUDIO_URL", &studio.url))?;
    js_check(&root.join("target/sdk-node"), &root, &studio.url)
}

/// The official JS SDK (`openai` from npm, installed in `target/sdk-node`): image generation.
fn js_check(prefix: &Path, root: &Path, url: &str) -> Result<()> {
    let module = prefix.join("node_modules/openai");
    if !module.exists() {
        std::fs::create_dir_all(prefix)?;
        run(Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(prefix)
            .arg("openai@>=4.50"))?;
    }
    run(Command::new("node")
        .arg(root.join("xtask/scripts/openai_sdk_check.cjs"))
        .env("STUDIO_URL", url)
        .env("OPENAI_MODULE", &module))
}
