//! Starting a server and talking to it.

use std::time::Duration;

use awc::http::header::HeaderMap;
use awc::http::StatusCode;
use futures_util::StreamExt;
use serde_json::Value;
use studio_dev_inference::{start, DevConfig, DevServer};

pub async fn server() -> DevServer {
    server_with(DevConfig::default()).await
}

/// A server on a free port with one worker (tests need no more) and `config`'s other fields.
pub async fn server_with(config: DevConfig) -> DevServer {
    start(DevConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        workers: Some(1),
        ..config
    })
    .await
    .unwrap()
}

pub fn client() -> awc::Client {
    awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish()
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!("not JSON ({err}): {}", String::from_utf8_lossy(&self.body))
        })
    }
}

async fn collect<S>(mut response: awc::ClientResponse<S>) -> Reply
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    let body = response
        .body()
        .limit(64 * 1024 * 1024)
        .await
        .unwrap()
        .to_vec();
    Reply {
        status: response.status(),
        headers: response.headers().clone(),
        body,
    }
}

pub async fn post(server: &DevServer, path: &str, body: &Value) -> Reply {
    let url = format!("{}{path}", server.base_url());
    collect(client().post(url).send_json(body).await.unwrap()).await
}

pub async fn get(url: &str) -> Reply {
    collect(client().get(url).send().await.unwrap()).await
}

pub async fn chat(server: &DevServer, body: Value) -> Reply {
    post(server, "/chat/completions", &body).await
}

/// A chat body with one user message.
pub fn ask(model: &str, text: &str) -> Value {
    serde_json::json!({"model": model, "messages": [{"role": "user", "content": text}]})
}

/// A streamed answer: the `data:` payloads in order.
///
/// awc ends a body quietly when the connection closes mid-chunked-body, so a cut stream is
/// seen here as a short one; [`raw_exchange`] checks the framing itself.
pub struct Events {
    pub data: Vec<String>,
}

impl Events {
    /// The chunks as JSON (everything but `[DONE]`).
    pub fn chunks(&self) -> Vec<Value> {
        self.data
            .iter()
            .filter(|data| *data != "[DONE]")
            .map(|data| serde_json::from_str(data).unwrap())
            .collect()
    }

    /// The content of every content delta, concatenated.
    pub fn text(&self) -> String {
        self.chunks()
            .iter()
            .filter_map(|chunk| {
                chunk["choices"][0]["delta"]["content"]
                    .as_str()
                    .map(str::to_owned)
            })
            .collect()
    }
}

pub async fn stream(server: &DevServer, mut body: Value) -> Events {
    body["stream"] = Value::Bool(true);
    let url = format!("{}/chat/completions", server.base_url());
    let mut response = client().post(url).send_json(&body).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "text/event-stream"
    );
    let mut raw = Vec::new();
    while let Some(chunk) = response.next().await {
        raw.extend_from_slice(&chunk.unwrap());
    }
    let raw = String::from_utf8(raw).unwrap();
    let data = raw
        .split_terminator("\n\n")
        .map(|event| {
            event
                .strip_prefix("data: ")
                .unwrap_or_else(|| panic!("not an SSE data line: {event:?}"))
                .to_owned()
        })
        .collect();
    Events { data }
}

/// Polls `check` on the stats for up to a second.
pub async fn eventually(
    server: &DevServer,
    check: impl Fn(&studio_dev_inference::StatsSnapshot) -> bool,
) -> bool {
    for _ in 0..50 {
        if check(&server.stats.snapshot()) {
            return true;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// Sends `body` as a raw HTTP/1.1 POST and reads until the server closes the connection;
/// panics if it does not close within five seconds.
pub async fn raw_exchange(server: &DevServer, path: &str, body: &Value) -> String {
    use std::io::{Read, Write};
    let port = server.port;
    let body = body.to_string();
    let path = path.to_owned();
    actix_web::rt::task::spawn_blocking(move || {
        let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(
            tcp,
            "POST /v1{path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = Vec::new();
        match tcp.read_to_end(&mut out) {
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(err) => panic!("the server did not close the connection: {err}"),
        }
        String::from_utf8(out).unwrap()
    })
    .await
    .unwrap()
}
