//! A live Studio for the checks that drive it from outside (SDKs, the browser, the fuzzer): the
//! debug gateway on a temporary SQLite file with the dev inference server upstream, both on
//! free ports, stopped when the value is dropped.

use std::{
    io::Write,
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
};

use anyhow::{bail, Context, Result};

use crate::process::{build_studio, target_dir, workspace_root};

pub struct LiveStudio {
    pub url: String,
    gateway: Child,
    inference: Child,
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Runs `command` to the end; an error says which command failed and how.
pub fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed ({status})");
    }
    Ok(())
}

impl LiveStudio {
    /// Builds both binaries and starts them with a fresh data folder `target/<name>`;
    /// `extra` adds gateway environment variables.
    pub fn start(name: &str, extra: &[(&str, &str)]) -> Result<Self> {
        Self::start_with_admins(name, extra, &[], "")
    }

    /// [`start`](Self::start), with admin accounts made first by `studio-gateway admin
    /// create-user --admin` (verified, all with `password`).
    pub fn start_with_admins(
        name: &str,
        extra: &[(&str, &str)],
        admins: &[String],
        password: &str,
    ) -> Result<Self> {
        build_studio()?;
        let data = workspace_root().join("target").join(name);
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data)?;
        let (gateway_port, inference_port) = (free_port()?, free_port()?);
        let bin = target_dir().join("debug");
        for email in admins {
            create_admin(&bin, &sqlite_url(&data), email, password)?;
        }
        let inference = Command::new(bin.join("studio-dev-inference"))
            .env("DEV_INFERENCE_BIND", format!("127.0.0.1:{inference_port}"))
            .spawn()?;
        let gateway = Command::new(bin.join("studio-gateway"))
            .env("STUDIO_ENV", "testing")
            .env("STUDIO_BIND", format!("127.0.0.1:{gateway_port}"))
            .env("DATABASE_URL", sqlite_url(&data))
            .env(
                "INFERENCE_SERVICE_URL",
                format!("http://127.0.0.1:{inference_port}/v1"),
            )
            .env("MEDIA_ROOT", data.join("media"))
            .env("STUDIO_LOG", "warn")
            .envs(extra.iter().copied())
            .spawn()?;
        Ok(Self {
            url: format!("http://127.0.0.1:{gateway_port}"),
            gateway,
            inference,
        })
    }
}

fn create_admin(bin: &Path, database: &str, email: &str, password: &str) -> Result<()> {
    let mut child = Command::new(bin.join("studio-gateway"))
        .args(["admin", "create-user", "--admin", "--email", email])
        .env("DATABASE_URL", database)
        .env("STUDIO_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(password.as_bytes())?;
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("studio-gateway admin create-user {email} failed ({status})");
    }
    Ok(())
}

fn sqlite_url(data: &Path) -> String {
    format!("sqlite://{}", data.join("studio.db").display())
}

impl Drop for LiveStudio {
    fn drop(&mut self) {
        for child in [&mut self.gateway, &mut self.inference] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
