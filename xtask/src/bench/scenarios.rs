//! What is measured: each scenario is one load, sent straight to the dev inference server
//! (direct) and through the gateway (Studio) with the same upstream work.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

/// The upstream model behind `bench-chat`: exactly 50 content tokens, no delay.
pub const FAST_UPSTREAM_MODEL: &str = "dev-chat:tokens=50";

/// The upstream model behind `bench-slow`: `tokens` tokens, `delay_ms` apart.
pub fn slow_upstream_model(tokens: u64, delay_ms: u64) -> String {
    format!("dev-chat:tokens={tokens},delay={delay_ms}")
}

/// How long each run lasts; `--quick` shortens everything.
pub struct Timing {
    pub duration_secs: f64,
    pub warmup_secs: f64,
    pub slow_streams: usize,
    pub slow_tokens: u64,
    pub slow_delay_ms: u64,
    /// The slow streams start evenly over this long, so that all of them are open at once for
    /// the rest of the run and TTFT measures the proxy carrying them, not a burst of connects.
    pub slow_ramp_secs: f64,
}

impl Timing {
    pub fn new(quick: bool) -> Self {
        if quick {
            Self {
                duration_secs: 3.0,
                warmup_secs: 1.0,
                slow_streams: 2000,
                slow_tokens: 50,
                slow_delay_ms: 60,
                slow_ramp_secs: 1.0,
            }
        } else {
            Self {
                duration_secs: 10.0,
                warmup_secs: 2.0,
                // Issue 19's slow clients: one token a second for 30 s.
                slow_streams: 2000,
                slow_tokens: 30,
                slow_delay_ms: 1000,
                slow_ramp_secs: 10.0,
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    None,
    ApiKey,
    Jwt,
}

/// One loadgen invocation, minus the address it is aimed at.
pub struct Load {
    pub path: &'static str,
    pub auth: Auth,
    pub body: Option<PathBuf>,
    pub concurrency: usize,
    /// `Some(n)`: exactly n requests, no warm-up; `None`: the timed run.
    pub requests: Option<usize>,
}

pub struct Scenario {
    pub key: &'static str,
    pub title: &'static str,
    pub direct: Option<Load>,
    pub studio: Load,
}

/// The bodies, written once into `dir`: direct asks for the upstream model by name, Studio
/// for the catalog id mapped to it; both ask for usage so the upstream does the same work.
fn body(dir: &Path, name: &str, model: &str, stream: bool) -> Result<PathBuf> {
    let mut body = json!({
        "model": model,
        "messages": [{"role": "user", "content": "Write a short greeting for the benchmark."}],
        "max_tokens": 100,
    });
    if stream {
        body["stream"] = json!(true);
        body["stream_options"] = json!({"include_usage": true});
    }
    let path = dir.join(format!("body-{name}.json"));
    std::fs::write(&path, body.to_string())?;
    Ok(path)
}

/// One 256×256 image as base64 (the same work both ways; Studio also decodes, re-encodes,
/// thumbnails and stores it). The prompt never changes, so after the first request the file
/// exists already and Studio skips writing it (content-addressed): the disk is not measured.
fn image_body(dir: &Path, name: &str, model: &str) -> Result<PathBuf> {
    let body = json!({
        "model": model,
        "prompt": "A lighthouse on a cliff at dusk",
        "size": "256x256",
        "response_format": "b64_json",
    });
    let path = dir.join(format!("body-{name}.json"));
    std::fs::write(&path, body.to_string())?;
    Ok(path)
}

pub fn all(dir: &Path, timing: &Timing) -> Result<Vec<Scenario>> {
    const COMPLETIONS: &str = "/v1/chat/completions";
    let chat = |body: &Path, auth, concurrency| Load {
        path: COMPLETIONS,
        auth,
        body: Some(body.to_path_buf()),
        concurrency,
        requests: None,
    };
    let get = |path, auth| Load {
        path,
        auth,
        body: None,
        concurrency: 32,
        requests: None,
    };
    let direct_chat = body(dir, "direct-chat", FAST_UPSTREAM_MODEL, false)?;
    let studio_chat = body(dir, "studio-chat", "bench-chat", false)?;
    let direct_stream = body(dir, "direct-stream", FAST_UPSTREAM_MODEL, true)?;
    let studio_stream = body(dir, "studio-stream", "bench-chat", true)?;
    let direct_slow = body(
        dir,
        "direct-slow",
        &slow_upstream_model(timing.slow_tokens, timing.slow_delay_ms),
        true,
    )?;
    let studio_slow = body(dir, "studio-slow", "bench-slow", true)?;
    let image = |body: &Path, auth, concurrency| Load {
        path: "/v1/images/generations",
        auth,
        body: Some(body.to_path_buf()),
        concurrency,
        requests: None,
    };
    let direct_image = image_body(dir, "direct-image", "dev-image")?;
    let studio_image = image_body(dir, "studio-image", "bench-image")?;
    Ok(vec![
        Scenario {
            key: "chat",
            title: "chat c=32",
            direct: Some(chat(&direct_chat, Auth::None, 32)),
            studio: chat(&studio_chat, Auth::ApiKey, 32),
        },
        Scenario {
            key: "chat_c1",
            title: "chat c=1",
            direct: Some(chat(&direct_chat, Auth::None, 1)),
            studio: chat(&studio_chat, Auth::ApiKey, 1),
        },
        Scenario {
            key: "stream",
            title: "stream 50 c=32",
            direct: Some(chat(&direct_stream, Auth::None, 32)),
            studio: chat(&studio_stream, Auth::ApiKey, 32),
        },
        Scenario {
            key: "images",
            title: "images 256 c=8",
            direct: Some(image(&direct_image, Auth::None, 8)),
            studio: image(&studio_image, Auth::ApiKey, 8),
        },
        Scenario {
            key: "images_c1",
            title: "images 256 c=1",
            direct: Some(image(&direct_image, Auth::None, 1)),
            studio: image(&studio_image, Auth::ApiKey, 1),
        },
        Scenario {
            key: "slow_streams",
            title: "slow streams",
            direct: Some(Load {
                requests: Some(timing.slow_streams),
                ..chat(&direct_slow, Auth::None, timing.slow_streams)
            }),
            studio: Load {
                requests: Some(timing.slow_streams),
                ..chat(&studio_slow, Auth::ApiKey, timing.slow_streams)
            },
        },
        Scenario {
            key: "models_key",
            title: "/v1/models key",
            direct: None,
            studio: get("/v1/models", Auth::ApiKey),
        },
        Scenario {
            key: "models_jwt",
            title: "/v1/models JWT",
            direct: None,
            studio: get("/v1/models", Auth::Jwt),
        },
        Scenario {
            key: "healthz",
            title: "/healthz",
            direct: None,
            studio: get("/healthz", Auth::None),
        },
    ])
}

/// Credentials for the Studio side.
pub struct Credentials {
    pub api_key: String,
    pub jwt: String,
}

/// Runs `studio-loadgen` once and returns its JSON summary; `pids` are the processes whose CPU
/// time it reports (the first one is the process under test).
pub fn run_load(
    bin: &Path,
    addr: SocketAddr,
    load: &Load,
    credentials: &Credentials,
    pids: &[u32],
    timing: &Timing,
) -> Result<Value> {
    let mut command = Command::new(bin.join("studio-loadgen"));
    command
        .arg("--url")
        .arg(format!("http://{addr}{}", load.path))
        .args(["--concurrency", &load.concurrency.to_string()])
        .args(["--timeout", "120", "--json"]);
    for pid in pids {
        command.args(["--pid", &pid.to_string()]);
    }
    match load.requests {
        Some(n) => command
            .args(["--requests", &n.to_string(), "--warmup", "0"])
            .args(["--ramp", &timing.slow_ramp_secs.to_string()]),
        None => command
            .args(["--duration", &timing.duration_secs.to_string()])
            .args(["--warmup", &timing.warmup_secs.to_string()]),
    };
    if let Some(body) = &load.body {
        command
            .args(["--method", "POST"])
            .arg("--body-file")
            .arg(body);
    }
    let bearer = match load.auth {
        Auth::None => None,
        Auth::ApiKey => Some(&credentials.api_key),
        Auth::Jwt => Some(&credentials.jwt),
    };
    if let Some(token) = bearer {
        command.args(["--header", &format!("Authorization: Bearer {token}")]);
    }
    let output = command.output().context("cannot run studio-loadgen")?;
    if !output.status.success() {
        bail!(
            "studio-loadgen failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout).context("studio-loadgen printed no JSON")
}
