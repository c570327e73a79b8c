//! Reading an image generation request: every field Studio understands is checked and named
//! when wrong; fields it does not know are passed to the upstream untouched.

use std::sync::Arc;

use serde_json::{Map, Value};
use studio_models::{ImageSize, Model, ModelCatalog, ModelKind};

use crate::ImageError;

pub const MAX_PROMPT_CHARS: usize = 4000;
pub const MAX_IMAGES: u32 = 10;
const QUALITIES: [&str; 7] = ["standard", "hd", "low", "medium", "high", "auto", "default"];
const STYLES: [&str; 2] = ["vivid", "natural"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFormat {
    Url,
    B64Json,
}

/// A validated request.
pub struct GenerationRequest {
    pub model: Arc<Model>,
    pub prompt: String,
    pub n: u32,
    pub size: ImageSize,
    pub response_format: ResponseFormat,
    /// The client's object, to be sent upstream with `model`, `size` and `response_format` set.
    fields: Map<String, Value>,
}

impl GenerationRequest {
    pub fn parse(body: &[u8], catalog: &dyn ModelCatalog) -> Result<Self, ImageError> {
        let fields: Map<String, Value> =
            serde_json::from_slice(body).map_err(|e| ImageError::InvalidRequest {
                param: None,
                message: format!("the request body is not a JSON object: {e}"),
            })?;
        let prompt = match present(&fields, "prompt") {
            None => return Err(ImageError::invalid("prompt", "you must provide a prompt")),
            Some(Value::String(prompt)) if prompt.trim().is_empty() => {
                return Err(ImageError::invalid("prompt", "'prompt' must not be empty"))
            }
            Some(Value::String(prompt)) if prompt.chars().count() > MAX_PROMPT_CHARS => {
                return Err(ImageError::invalid(
                    "prompt",
                    format!("'prompt' must be at most {MAX_PROMPT_CHARS} characters"),
                ))
            }
            Some(Value::String(prompt)) => prompt.clone(),
            Some(_) => return Err(ImageError::invalid("prompt", "'prompt' must be a string")),
        };
        let model = match present(&fields, "model") {
            None => return Err(ImageError::invalid("model", "you must provide a model")),
            Some(Value::String(id)) => catalog
                .model(id)
                .ok_or_else(|| ImageError::ModelNotFound(id.clone()))?,
            Some(_) => return Err(ImageError::invalid("model", "'model' must be a string")),
        };
        if model.kind != ModelKind::Image {
            return Err(ImageError::invalid(
                "model",
                format!("'{}' is not an image model", model.id),
            ));
        }
        let n = match present(&fields, "n") {
            None => 1,
            Some(value) => value
                .as_u64()
                .filter(|n| (1..=u64::from(MAX_IMAGES)).contains(n))
                .map(|n| n as u32)
                .ok_or_else(|| {
                    ImageError::invalid(
                        "n",
                        format!("'n' must be an integer from 1 to {MAX_IMAGES}"),
                    )
                })?,
        };
        let sizes = catalog.image_sizes(&model.id);
        let size = match present(&fields, "size") {
            None => sizes.first().copied().ok_or_else(|| {
                ImageError::BadGateway(format!("the model '{}' has no sizes configured", model.id))
            })?,
            Some(value) => value
                .as_str()
                .and_then(ImageSize::parse)
                .filter(|size| sizes.contains(size))
                .ok_or_else(|| {
                    let allowed: Vec<String> = sizes.iter().map(ToString::to_string).collect();
                    ImageError::invalid(
                        "size",
                        format!(
                            "'size' must be one of {} for {}",
                            allowed.join(", "),
                            model.id
                        ),
                    )
                })?,
        };
        let response_format = match present(&fields, "response_format") {
            None => ResponseFormat::Url,
            Some(Value::String(f)) if f == "url" => ResponseFormat::Url,
            Some(Value::String(f)) if f == "b64_json" => ResponseFormat::B64Json,
            Some(_) => {
                return Err(ImageError::invalid(
                    "response_format",
                    "'response_format' must be 'url' or 'b64_json'",
                ))
            }
        };
        one_of(&fields, "quality", &QUALITIES)?;
        one_of(&fields, "style", &STYLES)?;
        if present(&fields, "user").is_some_and(|u| !u.is_string()) {
            return Err(ImageError::invalid("user", "'user' must be a string"));
        }
        Ok(Self {
            model,
            prompt,
            n,
            size,
            response_format,
            fields,
        })
    }

    /// The body for an upstream: Studio always asks for `b64_json` (it keeps every image), and
    /// sends the upstream's name of the model and the size it chose.
    pub fn upstream_body(&self, upstream_model: &str) -> bytes::Bytes {
        let mut fields = self.fields.clone();
        fields.insert("model".into(), upstream_model.into());
        fields.insert("n".into(), self.n.into());
        fields.insert("size".into(), self.size.to_string().into());
        fields.insert("response_format".into(), "b64_json".into());
        serde_json::to_vec(&fields).unwrap_or_default().into()
    }
}

/// A field's value, `null` counting as absent (as the SDKs send it).
fn present<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    fields.get(name).filter(|v| !v.is_null())
}

fn one_of(fields: &Map<String, Value>, name: &str, allowed: &[&str]) -> Result<(), ImageError> {
    match present(fields, name) {
        None => Ok(()),
        Some(Value::String(value)) if allowed.contains(&value.as_str()) => Ok(()),
        Some(_) => Err(ImageError::invalid(
            name,
            format!("'{name}' must be one of {}", allowed.join(", ")),
        )),
    }
}

#[cfg(test)]
mod tests;
