//! Choosing and calling upstreams: weighted order, bounded retries before anything was
//! received, and the classification of what went wrong.
// mirrors studio-chat's upstream.rs; to be shared

use std::time::Duration;

use awc::{error::SendRequestError, http::StatusCode, ClientResponse};
use bytes::Bytes;
use studio_models::Upstream;

use crate::{error::UpstreamErrorBody, ImageError};

pub use studio_models::attempt_order;

pub type UpstreamResponse = ClientResponse;

/// Sends the request; the timeout covers everything up to the response head.
/// On failure, says whether another upstream should be tried (connection errors).
pub async fn send(
    client: &awc::Client,
    upstream: &Upstream,
    body: Bytes,
) -> Result<UpstreamResponse, (bool, ImageError)> {
    let url = format!("{}/images/generations", upstream.base_url);
    let mut request = client
        .post(url)
        .insert_header(("content-type", "application/json"))
        .insert_header(("accept", "application/json"));
    if let Some(key) = &upstream.api_key {
        request = request.bearer_auth(key);
    }
    let secs = upstream.timeout.as_secs();
    match tokio::time::timeout(upstream.timeout, request.send_body(body)).await {
        Err(_) | Ok(Err(SendRequestError::Timeout)) => Err((false, ImageError::Timeout(secs))),
        Ok(Err(error)) => {
            tracing::warn!(upstream = %upstream.base_url, %error, "upstream unreachable");
            Err((
                true,
                ImageError::BadGateway("the model's server could not be reached".into()),
            ))
        }
        Ok(Ok(response)) => Ok(response),
    }
}

/// Turns a non-2xx upstream answer into the error to pass on, reading its body (bounded).
/// Returns whether another upstream should be tried (5xx).
pub async fn refusal(response: &mut UpstreamResponse, timeout: Duration) -> (bool, ImageError) {
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
        return (
            true,
            ImageError::BadGateway(format!("the model's server failed ({})", status.as_u16())),
        );
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
    (
        false,
        ImageError::Upstream {
            status,
            error,
            retry_after,
        },
    )
}
