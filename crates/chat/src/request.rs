//! Reading a chat completion request: check what Studio must understand, keep every other
//! field as the client sent it (new OpenAI fields work without a Studio release).

use std::{borrow::Cow, collections::BTreeMap, sync::Arc};

use bytes::{Bytes, BytesMut};
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
    /// The most tokens the reply may use (`max_tokens`, else the model's maximum).
    pub max_tokens: u32,
    /// Where the `model` value sits in `body`: replaced per upstream, the rest sent as is.
    model_span: (usize, usize),
    /// For streams: the `stream_options` to send (usage always requested) and where the
    /// client's own sits, if it sent one.
    stream_options: Option<(Bytes, Option<(usize, usize)>)>,
}

/// A field name, borrowed from the body unless it had escapes.
#[derive(Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

type Fields<'a> = BTreeMap<Key<'a>, &'a RawValue>;

/// Byte range of `value`, a slice borrowed from `body`.
fn span(body: &[u8], value: &RawValue) -> (usize, usize) {
    let start = (value.get().as_ptr() as usize).saturating_sub(body.as_ptr() as usize);
    (start, start + value.get().len())
}

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
        let max_tokens = check_limits(&fields, &model)?;
        let model_span = fields
            .get(&key("model"))
            .map(|raw| span(&body, raw))
            .unwrap_or_default();
        let stream_options = stream.then(|| {
            // `"stream_options": null` is absent, but its bytes are still replaced (appending a
            // second key would send the upstream a duplicate it may refuse).
            let client = fields.get(&key("stream_options"));
            let mut merged: serde_json::Map<String, serde_json::Value> = client
                .filter(|raw| raw.get() != "null")
                .and_then(|raw| serde_json::from_str(raw.get()).ok())
                .unwrap_or_default();
            merged.insert("include_usage".into(), true.into());
            let merged = serde_json::to_vec(&merged)
                .unwrap_or_else(|_| br#"{"include_usage":true}"#.to_vec());
            (Bytes::from(merged), client.map(|raw| span(&body, raw)))
        });
        drop(messages);
        drop(fields);
        Ok(Self {
            stream,
            client_wants_usage: stream && options.include_usage.unwrap_or(false),
            model,
            body,
            max_tokens,
            model_span,
            stream_options,
        })
    }

    /// The body for an upstream: the client's bytes with the upstream's model name and, on
    /// streams, usage always requested. Spliced, not re-serialised.
    pub fn upstream_body(&self, upstream_model: &str) -> Bytes {
        let model = crate::splice::json_string(upstream_model);
        let mut edits: Vec<((usize, usize), &[u8])> = vec![(self.model_span, &model)];
        let appended;
        match &self.stream_options {
            Some((options, Some(client_span))) => edits.push((*client_span, options)),
            Some((options, None)) => {
                // Before the closing brace of the object.
                let end = self
                    .body
                    .iter()
                    .rposition(|&b| b == b'}')
                    .unwrap_or(self.body.len());
                appended = [&b",\"stream_options\":"[..], options].concat();
                edits.push(((end, end), &appended));
            }
            None => {}
        }
        edits.sort_by_key(|(range, _)| range.0);
        let mut out = BytesMut::with_capacity(self.body.len() + 64);
        let mut at = 0;
        for ((start, end), replacement) in edits {
            if start < at || end > self.body.len() {
                continue;
            }
            out.extend_from_slice(&self.body[at..start]);
            out.extend_from_slice(replacement);
            at = end;
        }
        out.extend_from_slice(&self.body[at..]);
        out.freeze()
    }
}

fn key(name: &str) -> Key<'_> {
    Key(Cow::Borrowed(name))
}

/// Reads one field as `T`, or says which parameter has the wrong type.
fn field<'a, T: Deserialize<'a>>(fields: &Fields<'a>, name: &str) -> Result<Option<T>, ChatError> {
    match fields.get(&key(name)) {
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

/// Checks the numeric parameters; returns the most tokens the reply may use.
fn check_limits(fields: &Fields<'_>, model: &Model) -> Result<u32, ChatError> {
    let mut max_tokens = model.max_output_tokens;
    for name in ["max_tokens", "max_completion_tokens"] {
        if let Some(value) = field::<i64>(fields, name)? {
            max_tokens = max_tokens.min(u32::try_from(value).unwrap_or(u32::MAX));
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
    Ok(max_tokens)
}

#[cfg(test)]
mod tests;
