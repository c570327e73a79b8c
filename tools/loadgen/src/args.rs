//! The command line, parsed by hand: a few flags do not need a parser crate.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

pub(crate) const USAGE: &str = "usage: studio-loadgen --url http://HOST:PORT/PATH [options]

  --url URL            http:// only (HTTP/1.1, keep-alive, one connection per worker)
  --method M           GET (default) or POST (any token is sent as is)
  --header 'K: V'      extra request header; repeatable
  --body-file F        request body (sent with Content-Length; POST defaults to JSON)
  --concurrency N      connections, each with one request in flight (default 1)
  --duration SECS      measure for this long (default 10) ...
  --requests N         ... or until N requests were measured
  --warmup SECS        run this long first without recording (default 1)
  --ramp SECS          start the workers evenly over this long instead of all at once (default 0),
                       so a test of many concurrent connections does not measure a burst of connects
  --timeout SECS       give up on one request after this long (default 60)
  --threads N          tokio worker threads; 1 (default) is a current-thread runtime
  --pid PID            also report that process's CPU time over the measured window (/proc);
                       repeatable
  --json               print one JSON object (the default prints a short text summary)";

/// Stop after a time or after a number of measured requests.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stop {
    After(Duration),
    Requests(u64),
}

#[derive(Debug, Clone)]
pub(crate) struct Args {
    pub addr: SocketAddr,
    pub host: String,
    pub path: String,
    pub method: String,
    pub headers: Vec<String>,
    pub body: Option<Vec<u8>>,
    pub concurrency: usize,
    pub stop: Stop,
    pub warmup: Duration,
    pub ramp: Duration,
    pub timeout: Duration,
    pub threads: usize,
    pub pids: Vec<u32>,
    pub json: bool,
}

impl Args {
    pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Self> {
        let mut args = args.into_iter();
        let mut url = None;
        let mut method = "GET".to_owned();
        let mut headers = Vec::new();
        let mut body = None;
        let mut concurrency = 1;
        let mut stop = Stop::After(Duration::from_secs(10));
        let mut warmup = Duration::from_secs(1);
        let mut ramp = Duration::ZERO;
        let mut timeout = Duration::from_secs(60);
        let mut threads = 1;
        let mut pids = Vec::new();
        let mut json = false;
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| anyhow!("{flag} needs a value"));
            match flag.as_str() {
                "--url" => url = Some(value()?),
                "--method" => method = value()?.to_ascii_uppercase(),
                "--header" => {
                    let header = value()?;
                    if !header.contains(':') || header.contains(['\r', '\n']) {
                        bail!("--header: expected `Name: value`, got `{header}`");
                    }
                    headers.push(header);
                }
                "--body-file" => {
                    let path = value()?;
                    body =
                        Some(std::fs::read(&path).with_context(|| format!("cannot read {path}"))?);
                }
                "--concurrency" => concurrency = positive(&flag, &value()?)?,
                "--duration" => stop = Stop::After(seconds(&flag, &value()?)?),
                "--requests" => stop = Stop::Requests(positive(&flag, &value()?)? as u64),
                "--warmup" => warmup = seconds(&flag, &value()?)?,
                "--ramp" => ramp = seconds(&flag, &value()?)?,
                "--timeout" => timeout = seconds(&flag, &value()?)?,
                "--threads" => threads = positive(&flag, &value()?)?,
                "--pid" => pids.push(positive(&flag, &value()?)? as u32),
                "--json" => json = true,
                other => bail!("unknown argument `{other}`\n{USAGE}"),
            }
        }
        let url = url.ok_or_else(|| anyhow!("--url is required\n{USAGE}"))?;
        let (host, path) = split_url(&url)?;
        let addr = host
            .to_socket_addrs()
            .with_context(|| format!("cannot resolve {host}"))?
            .next()
            .ok_or_else(|| anyhow!("{host} resolves to no address"))?;
        Ok(Self {
            addr,
            host,
            path,
            method,
            headers,
            body,
            concurrency,
            stop,
            warmup,
            ramp,
            timeout,
            threads,
            pids,
            json,
        })
    }

    /// The request as sent on the wire, built once and written as is for every request.
    pub(crate) fn request_bytes(&self) -> Vec<u8> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\n",
            self.method, self.path, self.host
        );
        let has = |name: &str| {
            self.headers.iter().any(|h| {
                h.split_once(':')
                    .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            })
        };
        for header in &self.headers {
            head.push_str(header);
            head.push_str("\r\n");
        }
        if let Some(body) = &self.body {
            if !has("content-type") {
                head.push_str("Content-Type: application/json\r\n");
            }
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        } else if self.method != "GET" && self.method != "HEAD" {
            head.push_str("Content-Length: 0\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(self.body.as_deref().unwrap_or_default());
        bytes
    }
}

/// `http://host:port/path?query` → (`host:port`, `/path?query`).
fn split_url(url: &str) -> Result<(String, String)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("--url: only http:// URLs are supported, got `{url}`"))?;
    let (authority, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        bail!("--url: no host in `{url}`");
    }
    let host = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    Ok((host, path.to_owned()))
}

fn positive(flag: &str, value: &str) -> Result<usize> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => bail!("{flag}: expected a positive integer, got `{value}`"),
    }
}

fn seconds(flag: &str, value: &str) -> Result<Duration> {
    match value.parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Ok(Duration::from_secs_f64(s)),
        _ => bail!("{flag}: expected seconds, got `{value}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args> {
        Args::parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn a_post_request_is_prebuilt_with_its_length_and_type() {
        let dir = std::env::temp_dir().join(format!("loadgen-args-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("body.json");
        std::fs::write(&file, "{}").unwrap();
        let args = parse(&[
            "--url",
            "http://127.0.0.1:9/v1/chat/completions",
            "--method",
            "post",
            "--header",
            "Authorization: Bearer k",
            "--body-file",
            file.to_str().unwrap(),
        ])
        .unwrap();
        let request = String::from_utf8(args.request_bytes()).unwrap();
        assert_eq!(
            request,
            "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:9\r\nAuthorization: Bearer k\r\n\
             Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_url_without_a_path_asks_for_the_root() {
        let args = parse(&["--url", "http://127.0.0.1:9", "--requests", "5"]).unwrap();
        assert_eq!(args.path, "/");
        assert!(matches!(args.stop, Stop::Requests(5)));
    }

    #[test]
    fn bad_values_are_refused_with_the_flag_named() {
        for args in [
            &["--url", "https://example.com/"][..],
            &["--url", "http://127.0.0.1:9/", "--concurrency", "0"],
            &["--url", "http://127.0.0.1:9/", "--header", "no colon"],
            &["--url", "http://127.0.0.1:9/", "--duration", "-1"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }
}
