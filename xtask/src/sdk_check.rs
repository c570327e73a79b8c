//! `cargo xtask sdk-check`: the official OpenAI Python SDK against a real Studio (gateway on a
//! temporary SQLite file, the dev inference server upstream), installed in a virtualenv.

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command},
};

use anyhow::{bail, Context, Result};

use crate::process::{build_studio, target_dir, workspace_root};

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub(crate) fn run(command: &mut Command) -> Result<()> {
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
    build_studio()?;
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

    let studio = Studio::start(&root.join("target/sdk-check"))?;
    let url = studio.url.clone();
    run(Command::new(&python)
        .arg(Path::new(&root).join("xtask/scripts/openai_sdk_check.py"))
        .env("STUDIO_URL", &url))
    .and_then(|()| js_check(&root.join("target/sdk-node"), &root, &url))
}

/// The debug gateway on a fresh SQLite file in `data`, the dev inference server upstream, both
/// on free ports; stopped when dropped.
pub(crate) struct Studio {
    gateway: Child,
    inference: Child,
    pub url: String,
}

impl Studio {
    pub fn start(data: &Path) -> Result<Self> {
        let _ = std::fs::remove_dir_all(data);
        std::fs::create_dir_all(data)?;
        let (gateway_port, inference_port) = (free_port()?, free_port()?);
        let bin = target_dir().join("debug");
        let mut inference = Command::new(bin.join("studio-dev-inference"))
            .env("DEV_INFERENCE_BIND", format!("127.0.0.1:{inference_port}"))
            .spawn()?;
        let gateway = Command::new(bin.join("studio-gateway"))
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
            .spawn();
        let gateway = match gateway {
            Ok(gateway) => gateway,
            Err(error) => {
                let _ = inference.kill();
                let _ = inference.wait();
                return Err(error.into());
            }
        };
        Ok(Self {
            gateway,
            inference,
            url: format!("http://127.0.0.1:{gateway_port}"),
        })
    }
}

impl Drop for Studio {
    fn drop(&mut self) {
        for child in [&mut self.gateway, &mut self.inference] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
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
