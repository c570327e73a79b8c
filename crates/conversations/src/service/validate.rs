//! Checks on what clients send.

use serde_json::{Map, Value};

use crate::ConversationError;

/// Keys the session itself decides.
const RESERVED: [&str; 4] = ["model", "messages", "stream", "stream_options"];

pub(super) fn params(value: Option<Value>) -> Result<Map<String, Value>, ConversationError> {
    match value {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => match map.keys().find(|k| RESERVED.contains(&k.as_str())) {
            Some(key) => Err(ConversationError::invalid(
                "params",
                format!("params must not set '{key}'"),
            )),
            None => Ok(map),
        },
        Some(_) => Err(ConversationError::invalid(
            "params",
            "params must be an object",
        )),
    }
}

/// A trimmed title of at most 200 characters (empty allowed on creation: the first message
/// names the session).
pub(super) fn title(value: &str, may_be_empty: bool) -> Result<String, ConversationError> {
    let title = value.trim();
    if title.is_empty() && !may_be_empty {
        return Err(ConversationError::invalid(
            "title",
            "title must not be empty",
        ));
    }
    if title.chars().count() > 200 {
        return Err(ConversationError::invalid(
            "title",
            "title must be at most 200 characters",
        ));
    }
    Ok(title.to_owned())
}
