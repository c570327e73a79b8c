//! Reading an upstream's answer: the JSON reply (bounded), and each image's bytes, inline
//! (`b64_json`) or fetched from the `url` it gave (bounded in size and time).

use std::time::Duration;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde::Deserialize;

use crate::{upstream::UpstreamResponse, ImageError};

/// Upper bound of an upstream's JSON reply (ten large images in base64).
const MAX_REPLY_BYTES: usize = 256 * 1024 * 1024;
/// Upper bound of one image fetched by URL.
pub const MAX_IMAGE_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, Deserialize)]
pub struct Reply {
    #[serde(default)]
    pub data: Vec<ReplyImage>,
}

#[derive(Debug, Deserialize)]
pub struct ReplyImage {
    pub b64_json: Option<String>,
    pub url: Option<String>,
    pub revised_prompt: Option<String>,
}

fn broken(message: &str) -> ImageError {
    ImageError::BadGateway(format!("the model's server {message}"))
}

pub async fn reply(mut response: UpstreamResponse, timeout: Duration) -> Result<Reply, ImageError> {
    let body = match tokio::time::timeout(timeout, response.body().limit(MAX_REPLY_BYTES)).await {
        Ok(Ok(body)) => body,
        Ok(Err(error)) => {
            tracing::warn!(%error, "reading the upstream image reply failed");
            return Err(broken("sent a broken reply"));
        }
        Err(_) => return Err(ImageError::Timeout(timeout.as_secs())),
    };
    let reply: Reply =
        serde_json::from_slice(&body).map_err(|_| broken("sent a malformed reply"))?;
    if reply.data.is_empty() {
        return Err(broken("returned no image"));
    }
    Ok(reply)
}

/// The raw bytes of one image of the reply.
pub async fn image_bytes(
    client: &awc::Client,
    image: &ReplyImage,
    timeout: Duration,
) -> Result<Vec<u8>, ImageError> {
    if let Some(data) = &image.b64_json {
        return STANDARD
            .decode(data.trim())
            .map_err(|_| broken("returned an image that is not valid base64"));
    }
    let Some(url) = &image.url else {
        return Err(broken("returned an image with neither b64_json nor url"));
    };
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {}
        _ => return Err(broken("returned an image URL that is not http(s)")),
    }
    let fetch = async {
        let mut response = client
            .get(url)
            .send()
            .await
            .map_err(|_| broken("returned an image URL that could not be fetched"))?;
        if !response.status().is_success() {
            return Err(broken(&format!(
                "returned an image URL that answered {}",
                response.status().as_u16()
            )));
        }
        response
            .body()
            .limit(MAX_IMAGE_BYTES)
            .await
            .map(|b| b.to_vec())
            .map_err(|_| broken("returned an image URL whose file is too large or broken"))
    };
    tokio::time::timeout(timeout, fetch)
        .await
        .map_err(|_| ImageError::Timeout(timeout.as_secs()))?
}
