//! Reading a chat completion request: check what Studio must understand, keep every other
//! field as the client sent it (new OpenAI fields work without a Studio release).

use std::{borrow::Cow, collections::BTreeMap, sync::Arc};

use bytes::{BufMut, Bytes, BytesMut};
use serde::Deserialize;
use serde_json::value::RawValue;
use studio_models::{Model, ModelCatalog, ModelKind};

use crate::ChatError;

const ROLES: [&str; 6] = [
    "system",
    "developer",
    "user",
    "assistant",
    "tool",
    "function",
];

/// Only the role is checked; content (any shape) passes through.
#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    role: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
struct StreamOptions {
    #[serde(default)]
    include_usage: Option<bool>,
}

/// A validated request, ready to be written out for any upstream of its model.
pub struct ChatRequest {
    pub model: Arc<Model>,
    pub stream: bool,
    /// Whether the client itself asked for the usage chunk (Studio always asks upstream).
    pub client_wants_usage: bool,
    pub body: Bytes,
}

type Fields<'a> = BTreeMap<Cow<'a, str>, &'a RawValue>;

impl ChatRequest {
    pub fn parse(body: Bytes, catalog: &dyn ModelCatalog) -> Result<Self, ChatError> {
        let fields: Fields<'_> =
            serde_json::from_slice(&body).map_err(|e| ChatError::InvalidRequest {
                param: None,
                message: format!("the request body is not a JSON object: {e}"),
            })?;
        let model_id: Cow<'_, str> = field(&fields, "model")?
            .ok_or_else(|| ChatError::invalid("model", "you must provide a model parameter"))?;
        let model = catalog
            .model(&model_id)
            .ok_or_else(|| ChatError::ModelNotFound(model_id.to_string()))?;
        if model.kind != ModelKind::Chat {
            return Err(ChatError::invalid(
                "model",
                format!("'{model_id}' is not a chat model"),
            ));
        }
        let messages: Vec<Message<'_>> = field(&fields, "messages")?.ok_or_else(|| {
            ChatError::invalid("messages", "you must provide a messages parameter")
        })?;
        check_messages(&messages)?;
        let stream = field::<bool>(&fields, "stream")?.unwrap_or(false);
        let options: StreamOptions = field(&fields, "stream_options")?.unwrap_or_default();
        check_limits(&fields, &model)?;
        drop(messages);
        drop(fields);
        Ok(Self {
            stream,
            client_wants_usage: stream && options.include_usage.unwrap_or(false),
            model,
            body,
        })
    }

    /// The body for an upstream: its model name, and usage always requested on streams.
    pub fn upstream_body(&self, upstream_model: &str) -> Bytes {
        let Ok(fields) = serde_json::from_slice::<Fields<'_>>(&self.body) else {
            return self.body.clone();
        };
        let mut out = BytesMut::with_capacity(self.body.len() + 64);
        out.put_u8(b'{');
        let mut first = true;
        let mut write = |out: &mut BytesMut, key: &str, value: &[u8]| {
            if !std::mem::take(&mut first) {
                out.put_u8(b',');
            }
            out.extend_from_slice(&crate::splice::json_string(key));
            out.put_u8(b':');
            out.extend_from_slice(value);
        };
        for (key, value) in &fields {
            match key.as_ref() {
                "model" => write(&mut out, key, &crate::splice::json_string(upstream_model)),
                "stream_options" if self.stream => {}
                _ => write(&mut out, key, value.get().as_bytes()),
            }
        }
        if self.stream {
            let mut options: serde_json::Map<String, serde_json::Value> = fields
                .get("stream_options")
                .and_then(|raw| serde_json::from_str(raw.get()).ok())
                .unwrap_or_default();
            options.insert("include_usage".into(), true.into());
            let options = serde_json::to_vec(&options)
                .unwrap_or_else(|_| br#"{"include_usage":true}"#.to_vec());
            write(&mut out, "stream_options", &options);
        }
        out.put_u8(b'}');
        out.freeze()
    }
}

/// Reads one field as `T`, or says which parameter has the wrong type.
fn field<'a, T: Deserialize<'a>>(fields: &Fields<'a>, name: &str) -> Result<Option<T>, ChatError> {
    match fields.get(name) {
        None => Ok(None),
        Some(raw) if raw.get() == "null" => Ok(None),
        Some(raw) => serde_json::from_str(raw.get())
            .map(Some)
            .map_err(|e| ChatError::invalid(name, format!("invalid type for '{name}': {e}"))),
    }
}

fn check_messages(messages: &[Message<'_>]) -> Result<(), ChatError> {
    if messages.is_empty() {
        return Err(ChatError::invalid(
            "messages",
            "'messages' must contain at least one message",
        ));
    }
    for (i, message) in messages.iter().enumerate() {
        let role = message.role.as_deref().unwrap_or_default();
        if !ROLES.contains(&role) {
            return Err(ChatError::invalid(
                &format!("messages[{i}].role"),
                format!(
                    "messages[{i}].role must be one of {}, got '{role}'",
                    ROLES.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn check_limits(fields: &Fields<'_>, model: &Model) -> Result<(), ChatError> {
    for name in ["max_tokens", "max_completion_tokens"] {
        if let Some(value) = field::<i64>(fields, name)? {
            if value < 1 || value > i64::from(model.max_output_tokens) {
                return Err(ChatError::invalid(
                    name,
                    format!(
                        "'{name}' must be between 1 and {} for {}",
                        model.max_output_tokens, model.id
                    ),
                ));
            }
        }
    }
    let ranges: [(&str, f64, f64); 4] = [
        ("temperature", 0.0, 2.0),
        ("top_p", 0.0, 1.0),
        ("presence_penalty", -2.0, 2.0),
        ("frequency_penalty", -2.0, 2.0),
    ];
    for (name, low, high) in ranges {
        if let Some(value) = field::<f64>(fields, name)? {
            if !(low..=high).contains(&value) {
                return Err(ChatError::invalid(
                    name,
                    format!("'{name}' must be between {low} and {high}"),
                ));
            }
        }
    }
    if let Some(n) = field::<i64>(fields, "n")? {
        if !(1..=128).contains(&n) {
            return Err(ChatError::invalid("n", "'n' must be between 1 and 128"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
