//! Reading the request: the body under a size limit, the `/v1` gate (request count and API
//! key) as an extractor, so a handler's signature shows it is guarded.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;

use crate::errors::ApiError;
use crate::AppState;

/// Chat bodies carry whole conversations and inline images: generous, but bounded.
pub(crate) const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Reads the whole body, answering 413 in the OpenAI shape above the limit.
///
/// A body that arrives in one chunk (the usual case) is used as is, without a copy.
pub(crate) async fn read_body(mut payload: web::Payload) -> Result<Bytes, ApiError> {
    let mut first: Option<Bytes> = None;
    let mut joined: Option<BytesMut> = None;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|err| ApiError::invalid_request(None, format!("{err}")))?;
        let total = first.as_ref().map_or(0, Bytes::len)
            + joined.as_ref().map_or(0, BytesMut::len)
            + chunk.len();
        if total > MAX_BODY_BYTES {
            return Err(ApiError::payload_too_large(MAX_BODY_BYTES));
        }
        match (&mut joined, first.take()) {
            (Some(buf), _) => buf.extend_from_slice(&chunk),
            (None, None) => first = Some(chunk),
            (None, Some(head)) => {
                let mut buf = BytesMut::with_capacity(head.len() + chunk.len());
                buf.extend_from_slice(&head);
                buf.extend_from_slice(&chunk);
                joined = Some(buf);
            }
        }
    }
    Ok(joined.map(BytesMut::freeze).or(first).unwrap_or_default())
}

/// Proof that a `/v1/*` request was counted and, when a key is configured, authenticated.
pub(crate) struct V1Gate;

impl FromRequest for V1Gate {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(admit(req))
    }
}

fn admit(req: &HttpRequest) -> Result<V1Gate, ApiError> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Err(ApiError::internal("server state is missing"));
    };
    state.stats.count_request();
    let Some(key) = state.config.api_key.as_deref() else {
        return Ok(V1Gate);
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    match presented {
        Some(token) if same_secret(token.as_bytes(), key.as_bytes()) => Ok(V1Gate),
        _ => Err(ApiError::invalid_api_key()),
    }
}

/// Compares without stopping at the first difference, so timing does not leak the key.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_compare_by_content_and_length() {
        assert!(same_secret(b"sk-dev", b"sk-dev"));
        assert!(!same_secret(b"sk-dev", b"sk-dew"));
        assert!(!same_secret(b"sk-dev", b"sk-dev2"));
    }
}
