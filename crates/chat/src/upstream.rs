//! Choosing and calling upstreams: weighted order, bounded retries before the first byte,
//! per-upstream timeouts, and the classification of what went wrong.

use std::{collections::HashMap, time::Duration};

use actix_service::{Service, ServiceExt};
use actix_tls::connect::{
    ConnectError as TcpConnectError, ConnectInfo, Connection as TcpConnection,
    Connector as TcpConnector, Resolver,
};
use awc::{
    error::SendRequestError,
    http::{StatusCode, Uri},
    ClientResponse,
};
use bytes::Bytes;
pub use studio_models::attempt_order;
use studio_models::Upstream;
use tokio::{net::TcpStream, time::Instant};

const NODELAY: bool = true;

use crate::{error::UpstreamErrorBody, ChatError};

/// An upstream's answer (head received, body not yet read).
pub type UpstreamResponse = ClientResponse;

/// What one failed attempt means for the request.
#[derive(Debug)]
pub enum Attempt {
    /// Nothing reached the client and another upstream may do better (unreachable, 5xx,
    /// too slow to answer).
    Retry(ChatError),
    /// The answer to pass on (a 4xx is the request's own fault; another upstream would agree).
    Fail(ChatError),
}

/// One HTTP client per connect timeout: the timeout belongs to the connector, and upstreams
/// sharing a timeout share a connection pool. `awc::Client` is not `Send`: one set per worker.
pub struct Clients {
    clients: HashMap<Duration, awc::Client>,
    /// For an upstream the catalog did not list at start-up (none today).
    fallback: awc::Client,
}

impl Clients {
    pub fn new(connect_timeouts: impl Iterator<Item = Duration>) -> Self {
        let mut clients = HashMap::new();
        for connect in connect_timeouts {
            clients.entry(connect).or_insert_with(|| client(connect));
        }
        Self {
            clients,
            fallback: client(Duration::from_secs(10)),
        }
    }

    fn get(&self, connect: Duration) -> &awc::Client {
        self.clients.get(&connect).unwrap_or(&self.fallback)
    }
}

fn client(connect: Duration) -> awc::Client {
    let connector = awc::Connector::new()
        .connector(nodelay_connector())
        .timeout(connect)
        .limit(16_384)
        .conn_keep_alive(Duration::from_secs(60));
    awc::Client::builder()
        .disable_redirects()
        .disable_timeout()
        .connector(connector)
        .finish()
}

/// awc's default TCP connector with `TCP_NODELAY` set on every new upstream socket: without it
/// a small write (the request body after its head) waits for the upstream's delayed ACK, ~40 ms
/// on Linux. awc has no switch for it, so the connector is supplied whole.
fn nodelay_connector(
) -> impl Service<ConnectInfo<Uri>, Response = TcpConnection<Uri, TcpStream>, Error = TcpConnectError>
       + Clone {
    TcpConnector::new(Resolver::default()).service().map(
        |connection: TcpConnection<Uri, TcpStream>| {
            if let Err(error) = connection.io_ref().set_nodelay(NODELAY) {
                tracing::warn!(%error, "could not set TCP_NODELAY on an upstream connection");
            }
            connection
        },
    )
}

/// Sends the request and waits for the response head until `head_deadline` (the upstream's
/// first-token and whole-request timeouts, counted from the start of the request).
pub async fn send(
    clients: &Clients,
    upstream: &Upstream,
    body: Bytes,
    stream: bool,
    head_deadline: Instant,
) -> Result<UpstreamResponse, Attempt> {
    let url = format!("{}/chat/completions", upstream.base_url);
    let mut request = clients
        .get(upstream.connect_timeout)
        .post(url)
        .insert_header(("content-type", "application/json"))
        .insert_header((
            "accept",
            if stream {
                "text/event-stream"
            } else {
                "application/json"
            },
        ));
    if let Some(key) = &upstream.api_key {
        request = request.bearer_auth(key);
    }
    let too_slow = || {
        tracing::warn!(upstream = %upstream.base_url, "upstream did not answer in time");
        Attempt::Retry(ChatError::Timeout(format!(
            "the model did not start answering within {} seconds",
            upstream.first_token_timeout.min(upstream.timeout).as_secs()
        )))
    };
    match tokio::time::timeout_at(head_deadline, request.send_body(body)).await {
        Err(_) | Ok(Err(SendRequestError::Timeout)) => Err(too_slow()),
        Ok(Err(error)) => {
            tracing::warn!(upstream = %upstream.base_url, %error, "upstream unreachable");
            Err(Attempt::Retry(ChatError::BadGateway(
                "the model's server could not be reached".into(),
            )))
        }
        Ok(Ok(response)) => Ok(response),
    }
}

/// Turns a non-2xx upstream answer into the error to pass on, reading its body (bounded).
pub async fn refusal(response: &mut UpstreamResponse, timeout: Duration) -> Attempt {
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = tokio::time::timeout(timeout, response.body().limit(64 * 1024))
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    if status.is_server_error() {
        tracing::warn!(%status, body = %String::from_utf8_lossy(&body), "upstream server error");
        return Attempt::Retry(ChatError::BadGateway(format!(
            "the model's server failed ({})",
            status.as_u16()
        )));
    }
    #[derive(serde::Deserialize)]
    struct Envelope {
        error: UpstreamErrorBody,
    }
    let error = serde_json::from_slice::<Envelope>(&body)
        .map(|e| Box::new(e.error))
        .unwrap_or_else(|_| {
            Box::new(UpstreamErrorBody {
                message: Some(format!(
                    "the model's server refused the request ({})",
                    status.canonical_reason().unwrap_or("error")
                )),
                ..UpstreamErrorBody::default()
            })
        });
    let status = if status == StatusCode::TOO_MANY_REQUESTS || status.is_client_error() {
        status.as_u16()
    } else {
        502
    };
    Attempt::Fail(ChatError::Upstream {
        status,
        error,
        retry_after,
    })
}
