//! `POST /v1/images/generations`: real PNGs, base64 inline or by URL, OpenAI-shaped.

use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

use crate::chat::{pause, unix_now};
use crate::errors::ApiError;
use crate::image_faults::{corrupted, Corruption, ImageFaults};
use crate::render::render_png;
use crate::request::{read_body, V1Gate};
use crate::stats::InFlight;
use crate::AppState;

const DEFAULT_MODEL: &str = "dev-image";
const MIN_SIDE: u32 = 64;
const MAX_SIDE: u32 = 1024;
const MAX_IMAGES: u64 = 10;

pub(crate) async fn generations(
    _gate: V1Gate,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    state.stats.count_image();
    let in_flight = InFlight::new(&state.stats);
    let result = generate(&state, &req, payload).await;
    in_flight.finish();
    result
}

/// A validated request.
#[derive(Debug, PartialEq, Eq)]
struct ImageParams {
    prompt: String,
    n: usize,
    width: u32,
    height: u32,
    as_url: bool,
}

impl ImageParams {
    fn from_json(body: &Value) -> Result<Self, ApiError> {
        let field = |name: &str| body.get(name).filter(|value| !value.is_null());
        let prompt = match field("prompt").and_then(Value::as_str) {
            Some(prompt) if !prompt.trim().is_empty() => prompt.to_owned(),
            _ => {
                return Err(ApiError::invalid_request(
                    Some("prompt"),
                    "prompt must be a non-empty string",
                ))
            }
        };
        let n = match field("n").map(Value::as_u64) {
            None => 1,
            Some(Some(n)) if (1..=MAX_IMAGES).contains(&n) => n as usize,
            Some(_) => {
                return Err(ApiError::invalid_request(
                    Some("n"),
                    format!("n must be an integer from 1 to {MAX_IMAGES}"),
                ))
            }
        };
        let (width, height) = match field("size").map(Value::as_str) {
            None => (256, 256),
            Some(size) => size.and_then(parse_size).ok_or_else(|| {
                ApiError::invalid_request(
                    Some("size"),
                    format!("size must be WIDTHxHEIGHT with each side from {MIN_SIDE} to {MAX_SIDE}, e.g. 256x256"),
                )
            })?,
        };
        let as_url = match field("response_format").map(Value::as_str) {
            None | Some(Some("b64_json")) => false,
            Some(Some("url")) => true,
            Some(_) => {
                return Err(ApiError::invalid_request(
                    Some("response_format"),
                    "response_format must be b64_json or url",
                ))
            }
        };
        Ok(Self {
            prompt,
            n,
            width,
            height,
            as_url,
        })
    }
}

fn parse_size(size: &str) -> Option<(u32, u32)> {
    let (width, height) = size.split_once('x')?;
    let side = |text: &str| {
        text.parse::<u32>()
            .ok()
            .filter(|s| (MIN_SIDE..=MAX_SIDE).contains(s))
    };
    Some((side(width)?, side(height)?))
}

#[derive(Serialize)]
struct Generated<'a> {
    created: u64,
    data: Vec<Image<'a>>,
}

#[derive(Serialize)]
struct Image<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    b64_json: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    revised_prompt: &'a str,
}

async fn generate(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload).await?;
    let body: Value = serde_json::from_slice(&body).map_err(|err| ApiError::bad_json(&err))?;
    let model = match body.get("model") {
        None | Some(Value::Null) => DEFAULT_MODEL,
        Some(Value::String(model)) => model,
        Some(_) => {
            return Err(ApiError::invalid_request(
                Some("model"),
                "model must be a string",
            ))
        }
    };
    let faults =
        ImageFaults::parse(model).map_err(|msg| ApiError::invalid_request(Some("model"), msg))?;
    let options = &faults.common;
    pause(options.stall).await;
    if let Some(failure) = options.fail {
        state.stats.count_injected_failure();
        return Err(ApiError::injected(failure));
    }
    let params = ImageParams::from_json(&body)?;

    // Encoding a large PNG takes milliseconds of CPU: keep it off the async worker.
    let ImageParams {
        prompt,
        n,
        width,
        height,
        as_url,
    } = params;
    let as_url = as_url || faults.force_url;
    if let Some(delay) = options.delay {
        pause(Some(delay * n as u32)).await;
    }
    let (prompt, pngs) = web::block(move || {
        let pngs: Result<Vec<_>, _> = (0..n)
            .map(|index| render_png(&prompt, index, width, height))
            .collect();
        (prompt, pngs)
    })
    .await
    .map_err(|_| ApiError::internal("image rendering was interrupted"))?;
    let pngs = pngs.map_err(|err| ApiError::internal(format!("PNG encoding failed: {err}")))?;
    let pngs: Vec<Vec<u8>> = match faults.corrupt {
        Some(corruption) => pngs
            .into_iter()
            .map(|png| corrupted(png, corruption))
            .collect(),
        None => pngs,
    };

    let origin = if as_url { Some(origin(req)) } else { None };
    let data = pngs
        .into_iter()
        .map(|png| match &origin {
            Some(origin) => {
                let id = state.images.insert(Bytes::from(png));
                Image {
                    b64_json: None,
                    url: Some(format!("{origin}/images/{id}.png")),
                    revised_prompt: &prompt,
                }
            }
            None if faults.corrupt == Some(Corruption::Base64) => Image {
                b64_json: Some("@@ not base64 @@".to_owned()),
                url: None,
                revised_prompt: &prompt,
            },
            None => Image {
                b64_json: Some(STANDARD.encode(&png)),
                url: None,
                revised_prompt: &prompt,
            },
        })
        .collect();
    Ok(HttpResponse::Ok().json(Generated {
        created: unix_now(),
        data,
    }))
}

/// `http://host[:port]` as the client addressed us, so the URL works from where it called.
fn origin(req: &HttpRequest) -> String {
    match req
        .headers()
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
    {
        Some(host) if !host.is_empty() && !host.contains('/') => format!("http://{host}"),
        _ => format!("http://{}", req.app_config().local_addr()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_fill_the_optional_fields() {
        let params = ImageParams::from_json(&json!({"prompt": "a fox", "model": "x"})).unwrap();
        assert_eq!(
            params,
            ImageParams {
                prompt: "a fox".into(),
                n: 1,
                width: 256,
                height: 256,
                as_url: false
            }
        );
    }

    #[test]
    fn sizes_and_counts_are_validated() {
        let ok = ImageParams::from_json(
            &json!({"prompt": "p", "n": 4, "size": "64x1024", "response_format": "url"}),
        )
        .unwrap();
        assert_eq!((ok.n, ok.width, ok.height, ok.as_url), (4, 64, 1024, true));
        for (body, param) in [
            (json!({"n": 1}), "prompt"),
            (json!({"prompt": " "}), "prompt"),
            (json!({"prompt": "p", "n": 0}), "n"),
            (json!({"prompt": "p", "n": 11}), "n"),
            (json!({"prompt": "p", "n": "2"}), "n"),
            (json!({"prompt": "p", "size": "63x64"}), "size"),
            (json!({"prompt": "p", "size": "1025x64"}), "size"),
            (json!({"prompt": "p", "size": "big"}), "size"),
            (
                json!({"prompt": "p", "response_format": "jpeg"}),
                "response_format",
            ),
        ] {
            let err = ImageParams::from_json(&body).unwrap_err();
            assert!(
                format!("{err:?}").contains(&format!("param: Some(\"{param}\")")),
                "{body}: {err:?}"
            );
        }
    }
}
