//! The SSE events of a session stream, and reading the proxy's relayed events.
//!
//! Event ids are byte offsets into the reply's text: `Last-Event-ID: N` (or `?after=N`) means
//! "I have the first N bytes", which any instance can serve from its own copy of the text.

use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;

pub(crate) const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

pub(crate) struct Chunk<'a> {
    pub message_id: &'a str,
    pub model: &'a str,
    pub created: i64,
}

fn event(name: Option<&str>, id: Option<usize>, data: &str) -> Vec<u8> {
    let mut out = String::with_capacity(data.len() + 32);
    if let Some(name) = name {
        out.push_str("event: ");
        out.push_str(name);
        out.push('\n');
    }
    if let Some(id) = id {
        out.push_str(&format!("id: {id}\n"));
    }
    out.push_str("data: ");
    out.push_str(data);
    out.push_str("\n\n");
    out.into_bytes()
}

/// The first event of a send: which messages it made.
pub(crate) fn message_event(session_id: &str, user: Option<&str>, assistant: &str) -> Bytes {
    let data = json!({
        "sessionId": session_id,
        "userMessageId": user,
        "assistantMessageId": assistant,
    });
    event(Some("message"), None, &data.to_string()).into()
}

impl Chunk<'_> {
    fn body(&self, delta: serde_json::Value, finish: Option<&str>) -> String {
        json!({
            "id": format!("chatcmpl-{}", self.message_id),
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        })
        .to_string()
    }

    /// New text; `offset` is the length of the text including it.
    pub fn content(&self, text: &str, offset: usize) -> Bytes {
        let data = self.body(json!({"role": "assistant", "content": text}), None);
        event(None, Some(offset), &data).into()
    }

    /// The end of a reply: a finish chunk and `[DONE]`, or an `error`/`cancelled` event.
    pub fn end(&self, status: &str, error: Option<&str>, offset: usize) -> Bytes {
        let mut out = match status {
            crate::rows::COMPLETE => event(None, Some(offset), &self.body(json!({}), Some("stop"))),
            crate::rows::CANCELLED => event(
                Some("cancelled"),
                Some(offset),
                &json!({"status": status}).to_string(),
            ),
            _ => {
                let error = json!({"error": {
                    "message": error.unwrap_or("the reply failed"),
                    "type": "server_error", "param": null, "code": "reply_failed",
                }});
                return event(Some("error"), Some(offset), &error.to_string()).into();
            }
        };
        out.extend_from_slice(b"data: [DONE]\n\n");
        out.into()
    }
}

/// What one event relayed by the chat proxy carried.
#[derive(Default, Debug)]
pub(crate) struct Relayed {
    pub content: String,
    pub usage: Option<(Option<i64>, Option<i64>)>,
    pub error: Option<String>,
    pub done: bool,
}

#[derive(Deserialize)]
struct ChunkJson {
    #[serde(default)]
    choices: Vec<ChoiceJson>,
    usage: Option<UsageJson>,
    error: Option<ErrorJson>,
}
#[derive(Deserialize)]
struct ChoiceJson {
    delta: Option<DeltaJson>,
}
#[derive(Deserialize)]
struct DeltaJson {
    content: Option<String>,
}
#[derive(Deserialize)]
struct UsageJson {
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
}
#[derive(Deserialize)]
struct ErrorJson {
    message: Option<String>,
}

/// Reads one relayed frame: every event a read of the upstream completed (the relay forwards
/// them together), in order, up to an error or `[DONE]`.
pub(crate) fn parse_relayed(frame: &[u8]) -> Relayed {
    let text = String::from_utf8_lossy(frame);
    let mut out = Relayed::default();
    for event in text.split("\n\n") {
        let one = parse_event(event);
        out.content.push_str(&one.content);
        if one.usage.is_some() {
            out.usage = one.usage;
        }
        out.error = one.error;
        out.done = one.done;
        if out.error.is_some() || out.done {
            break;
        }
    }
    out
}

/// One event (`data:` lines, possibly several; comments are keep-alives).
fn parse_event(text: &str) -> Relayed {
    let data: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|v| v.strip_prefix(' ').unwrap_or(v))
        .collect();
    let mut out = Relayed::default();
    if data.is_empty() {
        return out;
    }
    let data = data.join("\n");
    if data == "[DONE]" {
        out.done = true;
        return out;
    }
    match serde_json::from_str::<ChunkJson>(&data) {
        Ok(chunk) => {
            if let Some(error) = chunk.error {
                out.error = Some(error.message.unwrap_or_else(|| "the model failed".into()));
            }
            for choice in chunk.choices {
                if let Some(text) = choice.delta.and_then(|d| d.content) {
                    out.content.push_str(&text);
                }
            }
            out.usage = chunk.usage.map(|u| (u.prompt_tokens, u.completion_tokens));
        }
        Err(_) => out.error = Some("the model's server sent a malformed event".into()),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_of_several_events_gives_all_their_text_up_to_the_end() {
        let frame = b"data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n\
            data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}],\"usage\":{\"prompt_tokens\":1}}\n\n\
            data: [DONE]\n\n";
        let relayed = parse_relayed(frame);
        assert_eq!(relayed.content, "ab");
        assert!(relayed.done && relayed.error.is_none());
        assert_eq!(relayed.usage, Some((Some(1), None)));
    }

    #[test]
    fn relayed_events_give_their_text_usage_errors_and_end() {
        let chunk = parse_relayed(b"data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n");
        assert_eq!(chunk.content, "hi");
        let usage = parse_relayed(
            b"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\n",
        );
        assert_eq!(usage.usage, Some((Some(3), Some(4))));
        assert!(parse_relayed(b"data: [DONE]\n\n").done);
        assert!(parse_relayed(b"data: {\"error\":{\"message\":\"x\"}}\n\n")
            .error
            .is_some());
        assert!(parse_relayed(KEEP_ALIVE).content.is_empty());
    }
}
