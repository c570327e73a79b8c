//! A blocking one-shot HTTP/1.1 client for the few set-up calls (readiness, sign-up, API key):
//! `Connection: close`, read to the end, enough for actix's JSON answers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};

pub struct Reply {
    pub status: u16,
    pub body: String,
}

pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&Value>,
) -> Result<Reply> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(token) = bearer {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let raw = String::from_utf8_lossy(&raw);
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow!("{method} {path}: incomplete response"))?;
    let status = head
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| anyhow!("{method} {path}: bad status line"))?;
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.contains("chunked"));
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_owned()
    };
    Ok(Reply { status, body })
}

fn dechunk(mut body: &str) -> Result<String> {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").context("bad chunked body")?;
        let size = usize::from_str_radix(size.split(';').next().unwrap_or_default().trim(), 16)?;
        if size == 0 {
            return Ok(out);
        }
        out.push_str(rest.get(..size).context("short chunk")?);
        body = rest.get(size + 2..).context("short chunk")?;
    }
}

/// Waits until `path` answers 200 (the gateway's `/readyz`, the dev server's `/health`).
pub fn wait_ready(
    addr: SocketAddr,
    path: &str,
    alive: &mut dyn FnMut() -> Result<()>,
) -> Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        alive()?;
        if let Ok(reply) = request(addr, "GET", path, None, None) {
            if reply.status == 200 {
                return Ok(());
            }
        }
        if std::time::Instant::now() > deadline {
            bail!("http://{addr}{path} not ready after 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Signs a fresh user up and issues an API key: (access token, API key).
pub fn register_and_issue_key(addr: SocketAddr, email: &str) -> Result<(String, String)> {
    let password = "bench-Passw0rd-long-enough!";
    let reply = request(
        addr,
        "POST",
        "/api/auth/register",
        None,
        Some(&json!({ "email": email, "password": password })),
    )?;
    if reply.status != 201 && reply.status != 200 {
        bail!("register answered {}: {}", reply.status, reply.body);
    }
    let token = field(&reply.body, "accessToken")?;
    let reply = request(
        addr,
        "POST",
        "/api/keys",
        Some(&token),
        Some(&json!({ "name": "bench" })),
    )?;
    if reply.status != 201 && reply.status != 200 {
        bail!(
            "creating an API key answered {}: {}",
            reply.status,
            reply.body
        );
    }
    Ok((token, field(&reply.body, "key")?))
}

fn field(body: &str, name: &str) -> Result<String> {
    let value: Value = serde_json::from_str(body).with_context(|| format!("not JSON: {body}"))?;
    value[name]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no `{name}` in {body}"))
}
