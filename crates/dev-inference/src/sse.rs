//! The bytes of each server-sent event, written by hand.
//!
//! Every chunk of a stream shares its head (`id`, `object`, `created`, `model`), so it is
//! rendered once and each chunk is that head plus a few bytes: no serde pass per token.

use actix_web::web::Bytes;

/// The end-of-stream marker OpenAI clients wait for.
pub(crate) const DONE: &[u8] = b"data: [DONE]\n\n";

/// The broken event sent by the `malformed=` option.
pub(crate) const MALFORMED: &[u8] = b"data: {not json\n\n";

/// Renders the chunks of one stream.
pub(crate) struct Chunks {
    /// `data: {"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":[`
    head: Vec<u8>,
    /// Closes every chunk but the usage one: with `include_usage` OpenAI sends `"usage":null`.
    tail: &'static [u8],
}

impl Chunks {
    pub(crate) fn new(id: &str, created: u64, model: &str, include_usage: bool) -> Self {
        let mut head = Vec::with_capacity(96 + id.len() + model.len());
        head.extend_from_slice(b"data: {\"id\":\"");
        escape_into(&mut head, id);
        head.extend_from_slice(b"\",\"object\":\"chat.completion.chunk\",\"created\":");
        head.extend_from_slice(created.to_string().as_bytes());
        head.extend_from_slice(b",\"model\":\"");
        escape_into(&mut head, model);
        head.extend_from_slice(b"\",\"choices\":[");
        let tail: &[u8] = if include_usage {
            b",\"usage\":null}\n\n"
        } else {
            b"}\n\n"
        };
        Self { head, tail }
    }

    /// Head, then what `body` writes, then the tail: one allocation sized up front.
    fn chunk(&self, body_len: usize, body: impl FnOnce(&mut Vec<u8>)) -> Bytes {
        let mut out = Vec::with_capacity(self.head.len() + body_len + self.tail.len());
        out.extend_from_slice(&self.head);
        body(&mut out);
        out.extend_from_slice(self.tail);
        Bytes::from(out)
    }

    /// The first chunk: the assistant role and empty content, as OpenAI sends it.
    pub(crate) fn role(&self) -> Bytes {
        const ROLE: &[u8] =
            br#"{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]"#;
        self.chunk(ROLE.len(), |out| out.extend_from_slice(ROLE))
    }

    /// One content token; every token but the first starts with a space.
    pub(crate) fn token(&self, leading_space: bool, word: &str) -> Bytes {
        const OPEN: &[u8] = br#"{"index":0,"delta":{"content":""#;
        const CLOSE: &[u8] = br#""},"finish_reason":null}]"#;
        self.chunk(OPEN.len() + word.len() + 8 + CLOSE.len(), |out| {
            out.extend_from_slice(OPEN);
            if leading_space {
                out.push(b' ');
            }
            escape_into(out, word);
            out.extend_from_slice(CLOSE);
        })
    }

    /// One piece of a tool call's arguments (the `tools=true` option): a stream with no
    /// content at all, as models answer when they call a function.
    pub(crate) fn tool_arguments(&self, first: bool, word: &str) -> Bytes {
        const OPEN_FIRST: &[u8] = br#"{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_dev","type":"function","function":{"name":"echo","arguments":""#;
        const OPEN: &[u8] =
            br#"{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":""#;
        const CLOSE: &[u8] = br#""}}]},"finish_reason":null}]"#;
        let open = if first { OPEN_FIRST } else { OPEN };
        self.chunk(open.len() + word.len() + 8 + CLOSE.len(), |out| {
            out.extend_from_slice(open);
            if !first {
                out.push(b' ');
            }
            escape_into(out, word);
            out.extend_from_slice(CLOSE);
        })
    }

    /// The empty delta that carries the finish reason.
    pub(crate) fn finish(&self, reason: &str) -> Bytes {
        const OPEN: &[u8] = br#"{"index":0,"delta":{},"finish_reason":""#;
        const CLOSE: &[u8] = br#""}]"#;
        self.chunk(OPEN.len() + reason.len() + CLOSE.len(), |out| {
            out.extend_from_slice(OPEN);
            escape_into(out, reason);
            out.extend_from_slice(CLOSE);
        })
    }

    /// The extra chunk of `stream_options.include_usage`: no choices, just usage.
    pub(crate) fn usage(&self, usage_json: &[u8]) -> Bytes {
        let mut out = Vec::with_capacity(self.head.len() + usage_json.len() + 16);
        out.extend_from_slice(&self.head);
        out.extend_from_slice(b"],\"usage\":");
        out.extend_from_slice(usage_json);
        out.extend_from_slice(b"}\n\n");
        Bytes::from(out)
    }
}

/// Appends `text` escaped for the inside of a JSON string (quotes not included).
pub(crate) fn escape_into(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    let mut start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(byte >> 4) as usize],
                HEX[(byte & 0xf) as usize],
            ],
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..index]);
        out.extend_from_slice(escape);
        start = index + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn event_json(bytes: &[u8]) -> Value {
        let text = std::str::from_utf8(bytes).unwrap();
        let data = text
            .strip_prefix("data: ")
            .unwrap()
            .strip_suffix("\n\n")
            .unwrap();
        serde_json::from_str(data).unwrap()
    }

    #[test]
    fn escaping_matches_serde_json() {
        for text in [
            "plain",
            "quo\"te",
            "back\\slash",
            "nl\n\r\t",
            "\u{1}\u{1f}\u{8}\u{c}",
            "café ✓",
        ] {
            let mut out = b"\"".to_vec();
            escape_into(&mut out, text);
            out.push(b'"');
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(text).unwrap()
            );
        }
    }

    #[test]
    fn chunks_are_valid_openai_json() {
        let chunks = Chunks::new("chatcmpl-1", 7, "dev\"chat", true);
        let head = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 7, "model": "dev\"chat"});
        let with = |extra: Value| {
            let mut value = head.clone();
            value
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            value
        };
        assert_eq!(
            event_json(&chunks.role()),
            with(
                json!({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}], "usage": null})
            )
        );
        assert_eq!(
            event_json(&chunks.token(true, "a\"b")),
            with(
                json!({"choices": [{"index": 0, "delta": {"content": " a\"b"}, "finish_reason": null}], "usage": null})
            )
        );
        assert_eq!(
            event_json(&chunks.finish("length")),
            with(
                json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}], "usage": null})
            )
        );
        assert_eq!(
            event_json(&chunks.usage(br#"{"total_tokens":3}"#)),
            with(json!({"choices": [], "usage": {"total_tokens": 3}}))
        );
    }

    #[test]
    fn without_include_usage_chunks_have_no_usage_field() {
        let chunks = Chunks::new("id", 1, "m", false);
        assert!(event_json(&chunks.token(false, "x")).get("usage").is_none());
    }
}
