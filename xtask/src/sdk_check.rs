//! `cargo xtask sdk-check`: the official OpenAI Python SDK against a real Studio (gateway on a
//! temporary SQLite file, the dev inference server upstream), installed in a virtualenv.

use std::{net::TcpListener, path::Path, process::Command};

use anyhow::{bail, Context, Result};

use crate::process::{cargo, target_dir, workspace_root};

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed ({status})");
    }
    Ok(())
}

pub fn run_check() -> Result<()> {
    let root = workspace_root();
    cargo(&[
        "build",
        "--bin",
        "studio-gateway",
        "--bin",
        "studio-dev-inference",
    ])?;
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

    let data = root.join("target/sdk-check");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data)?;
    let (gateway_port, inference_port) = (free_port()?, free_port()?);
    let bin = target_dir().join("debug");
    let mut inference = Command::new(bin.join("studio-dev-inference"))
        .env("DEV_INFERENCE_BIND", format!("127.0.0.1:{inference_port}"))
        .spawn()?;
    let mut gateway = Command::new(bin.join("studio-gateway"))
        .env("STUDIO_ENV", "testing")
        .env("STUDIO_BIND", format!("127.0.0.1:{gateway_port}"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", data.join("studio.db").display()),
        )
        .env(
            "INFERENCE_SERVICE_URL",
            format!("http://127.0.0.1:{inference_port}/v1"),
        )
        .env("MEDIA_ROOT", data.join("media"))
        .env("STUDIO_LOG", "warn")
        .spawn()?;
    let url = format!("http://127.0.0.1:{gateway_port}");
    let result = run(Command::new(&python)
        .arg(Path::new(&root).join("xtask/scripts/openai_sdk_check.py"))
        .env("STUDIO_URL", &url))
    .and_then(|()| js_check(&root.join("target/sdk-node"), &root, &url));
    let _ = gateway.kill();
    let _ = inference.kill();
    let _ = gateway.wait();
    let _ = inference.wait();
    result
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
