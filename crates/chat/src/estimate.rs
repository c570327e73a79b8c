//! Token estimates for upstreams that report no usage, with a real BPE tokenizer: OpenAI's
//! `o200k_base` (embedded in the binary by tiktoken-rs; nothing is downloaded). Models of other
//! families tokenize differently, so records it produces are marked `estimated`.
//!
//! Only computed when the upstream reported nothing, and off the async workers (the caller
//! runs it on the blocking pool). Prompts add OpenAI's framing of 4 tokens per message.

use std::sync::OnceLock;

use serde_json::value::RawValue;
use tiktoken_rs::CoreBPE;

/// Built on the first estimate, not at start-up: it holds about 50 MiB, which a gateway whose
/// upstreams report usage never needs. Every caller is on the blocking pool, so the one that
/// builds it stalls no async worker.
fn encoder() -> Option<&'static CoreBPE> {
    static ENCODER: OnceLock<Option<CoreBPE>> = OnceLock::new();
    ENCODER
        .get_or_init(|| match tiktoken_rs::o200k_base() {
            Ok(bpe) => Some(bpe),
            Err(error) => {
                tracing::error!(%error, "the o200k_base tokenizer cannot be built; estimating from characters");
                None
            }
        })
        .as_ref()
}

/// Tokens of `text`; one per 4 characters if the tokenizer is unavailable.
pub fn tokens(text: &str) -> i64 {
    if text.is_empty() {
        return 0;
    }
    match encoder() {
        Some(bpe) => bpe.encode_ordinary(text).len() as i64,
        None => text.chars().count().div_ceil(4) as i64,
    }
}

/// The text of a message `content`: a string, or the `text` of an array of parts.
fn push_content(out: &mut String, content: Option<&RawValue>) {
    let Some(raw) = content else { return };
    if let Ok(text) = serde_json::from_str::<std::borrow::Cow<'_, str>>(raw.get()) {
        out.push_str(&text);
        return;
    }
    #[derive(serde::Deserialize)]
    struct Part<'a> {
        #[serde(borrow)]
        text: Option<std::borrow::Cow<'a, str>>,
    }
    if let Ok(parts) = serde_json::from_str::<Vec<Part<'_>>>(raw.get()) {
        for text in parts.iter().filter_map(|p| p.text.as_ref()) {
            out.push_str(text);
        }
    }
}

/// The prompt estimate of a whole request body: every message's text, tool calls and name.
pub fn prompt_tokens_of_body(body: &[u8]) -> i64 {
    #[derive(serde::Deserialize)]
    struct Message<'a> {
        #[serde(borrow, default)]
        content: Option<&'a RawValue>,
        #[serde(borrow, default)]
        tool_calls: Option<&'a RawValue>,
    }
    #[derive(serde::Deserialize)]
    struct Request<'a> {
        #[serde(borrow, default)]
        messages: Vec<Message<'a>>,
        #[serde(borrow, default)]
        tools: Option<&'a RawValue>,
    }
    let Ok(request) = serde_json::from_slice::<Request<'_>>(body) else {
        return 0;
    };
    let mut text = String::new();
    for message in &request.messages {
        push_content(&mut text, message.content);
        if let Some(calls) = message.tool_calls {
            text.push_str(calls.get());
        }
    }
    if let Some(tools) = request.tools {
        text.push_str(tools.get());
    }
    tokens(&text) + 4 * request.messages.len() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_counted_with_the_bpe_tokenizer() {
        // "hello world" is two tokens in o200k_base; characters ÷ 4 would say 3.
        assert_eq!(tokens("hello world"), 2);
        assert_eq!(tokens(""), 0);
        let body = br#"{"messages":[{"role":"user","content":"hello world"},
            {"role":"user","content":[{"type":"text","text":"hello world"},
            {"type":"image_url","image_url":{"url":"x"}}]}]}"#;
        assert_eq!(
            prompt_tokens_of_body(body),
            tokens("hello worldhello world") + 8
        );
    }
}
