//! The processes under test: the dev inference server (started once) and the gateway
//! (restarted before every measured Studio run, so its peak memory belongs to that run).

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::client;

pub fn free_addr() -> Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// A child process that is stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Server {
    pub name: &'static str,
    pub addr: SocketAddr,
    child: Child,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn spawn(
        name: &'static str,
        addr: SocketAddr,
        command: &mut Command,
        log: &Path,
    ) -> Result<Self> {
        let log = File::options().create(true).append(true).open(log)?;
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {command:?}"))?;
        Ok(Self { name, addr, child })
    }

    pub(crate) fn wait_ready(&mut self, path: &str) -> Result<()> {
        let name = self.name;
        let child = &mut self.child;
        client::wait_ready(self.addr, path, &mut || match child.try_wait()? {
            Some(status) => {
                bail!("{name} exited during start-up ({status}); see target/bench/*.log")
            }
            None => Ok(()),
        })
    }

    /// `VmRSS` and `VmHWM` (peak resident memory) in KiB.
    pub fn memory_kib(&self) -> Result<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let field = |name: &str| -> Result<u64> {
            let line = status
                .lines()
                .find(|l| l.starts_with(name))
                .with_context(|| format!("no {name} in /proc/<pid>/status"))?;
            Ok(line[name.len()..]
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()?)
        };
        Ok((field("VmRSS:")?, field("VmHWM:")?))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Everything needed to (re)start the gateway the same way each time.
pub struct GatewaySetup {
    pub bin: PathBuf,
    pub dir: PathBuf,
    pub database_url: String,
    pub inference: SocketAddr,
    pub workers: usize,
    pub jwt_secret: String,
    pub secret: String,
    /// `STUDIO_METRICS_BIND` set (on a free port, never scraped but by upkeep).
    pub metrics: bool,
}

impl GatewaySetup {
    /// The same gateway with Prometheus metrics on.
    pub fn with_metrics(&self) -> Self {
        Self {
            bin: self.bin.clone(),
            dir: self.dir.clone(),
            database_url: self.database_url.clone(),
            inference: self.inference,
            workers: self.workers,
            jwt_secret: self.jwt_secret.clone(),
            secret: self.secret.clone(),
            metrics: true,
        }
    }

    pub fn start(&self) -> Result<Server> {
        let addr = free_addr()?;
        let mut command = Command::new(self.bin.join("studio-gateway"));
        command
            .env("STUDIO_ENV", "testing")
            .env("STUDIO_BIND", addr.to_string())
            .env("DATABASE_URL", &self.database_url)
            .env(
                "INFERENCE_SERVICE_URL",
                format!("http://{}/v1", self.inference),
            )
            .env("STUDIO_MODELS_FILE", self.dir.join("models.toml"))
            .env("MEDIA_ROOT", self.dir.join("media"))
            .env("STUDIO_LOG", "warn")
            .env("STUDIO_AUTH_RATE_LIMIT", "100000")
            .env("STUDIO_WORKERS", self.workers.to_string())
            .env("JWT_SECRET_KEY", &self.jwt_secret)
            .env("SECRET_KEY", &self.secret)
            // The JWT scenario may run long after sign-up.
            .env("JWT_ACCESS_TOKEN_LIFETIME", "600");
        if self.metrics {
            command.env("STUDIO_METRICS_BIND", free_addr()?.to_string());
        }
        let mut server = Server::spawn(
            "studio-gateway",
            addr,
            &mut command,
            &self.dir.join("gateway.log"),
        )?;
        server.wait_ready("/readyz")?;
        Ok(server)
    }
}

pub fn start_inference(bin: &Path, dir: &Path) -> Result<Server> {
    let addr = free_addr()?;
    let mut command = Command::new(bin.join("studio-dev-inference"));
    command
        .env("DEV_INFERENCE_BIND", addr.to_string())
        .env("DEV_INFERENCE_WORKERS", "1");
    let mut server = Server::spawn(
        "studio-dev-inference",
        addr,
        &mut command,
        &dir.join("inference.log"),
    )?;
    server.wait_ready("/health")?;
    Ok(server)
}

/// The catalog the bench gateway serves: fast 50-token streams, slow streams and 256×256 images
/// from the dev server.
pub fn write_catalog(
    dir: &Path,
    inference: SocketAddr,
    timing: &super::scenarios::Timing,
) -> Result<()> {
    let model = |id: &str, upstream: &str| {
        format!(
            "[[models]]\nid = \"{id}\"\ntype = \"chat\"\nmaxOutputTokens = 4096\n\
             [[models.upstreams]]\nbaseUrl = \"http://{inference}/v1\"\nmodel = \"{upstream}\"\n\
             timeoutSecs = 60\n\n"
        )
    };
    let catalog = format!(
        "# Written by cargo xtask bench.\n\n{}{}\
         [[models]]\nid = \"bench-image\"\ntype = \"image\"\nsizes = [\"256x256\"]\n\
         [[models.upstreams]]\nbaseUrl = \"http://{inference}/v1\"\nmodel = \"dev-image\"\n\
         timeoutSecs = 60\n",
        model("bench-chat", super::scenarios::FAST_UPSTREAM_MODEL),
        model(
            "bench-slow",
            &super::scenarios::slow_upstream_model(timing.slow_tokens, timing.slow_delay_ms)
        ),
    );
    std::fs::write(dir.join("models.toml"), catalog)?;
    Ok(())
}

/// 64 hex characters from the kernel's random source: stable secrets for one bench run, so
/// tokens and keys survive gateway restarts.
pub fn random_secret() -> Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
