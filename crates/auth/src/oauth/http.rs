//! openidconnect's HTTP client, on awc: non-blocking, and the same client stack as the proxy.
//! openidconnect speaks `http` 1.x types and awc `http` 0.2: method, headers and body are
//! copied across.

use std::time::Duration;

use openidconnect::{HttpRequest, HttpResponse};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

fn fail(error: impl std::fmt::Display) -> HttpError {
    HttpError(error.to_string())
}

pub async fn send(request: HttpRequest) -> Result<HttpResponse, HttpError> {
    let client = awc::Client::builder()
        .disable_redirects()
        .timeout(Duration::from_secs(10))
        .finish();
    let method =
        awc::http::Method::from_bytes(request.method().as_str().as_bytes()).map_err(fail)?;
    let mut outgoing = client.request(method, request.uri().to_string());
    for (name, value) in request.headers() {
        outgoing = outgoing.append_header((name.as_str(), value.as_bytes()));
    }
    let mut response = outgoing
        .send_body(request.into_body())
        .await
        .map_err(fail)?;
    let body = response.body().limit(1024 * 1024).await.map_err(fail)?;
    let mut builder = openidconnect::http::Response::builder().status(response.status().as_u16());
    for (name, value) in response.headers() {
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    builder.body(body.to_vec()).map_err(fail)
}
