//! Token estimates for upstreams that report no usage.
//!
//! The heuristic (documented in the README): one token per 4 characters of text, rounded
//! up, plus 4 tokens of framing per message for prompts. It matches OpenAI's own rule of
//! thumb for English and errs high for code; records it produces are marked `estimated`.

use serde_json::value::RawValue;

pub fn tokens_for_chars(chars: usize) -> i64 {
    chars.div_ceil(4) as i64
}

/// Characters of text in a message `content`: a string, or an array of parts with `text`.
pub fn content_chars(content: Option<&RawValue>) -> usize {
    let Some(raw) = content else { return 0 };
    if let Ok(text) = serde_json::from_str::<std::borrow::Cow<'_, str>>(raw.get()) {
        return text.chars().count();
    }
    #[derive(serde::Deserialize)]
    struct Part<'a> {
        #[serde(borrow)]
        text: Option<std::borrow::Cow<'a, str>>,
    }
    serde_json::from_str::<Vec<Part<'_>>>(raw.get())
        .map(|parts| {
            parts
                .iter()
                .filter_map(|p| p.text.as_ref())
                .map(|t| t.chars().count())
                .sum()
        })
        .unwrap_or(0)
}

/// The prompt estimate of a whole request body (only computed when the upstream reports no
/// usage, so the hot path never pays for it).
pub fn prompt_tokens_of_body(body: &[u8]) -> i64 {
    #[derive(serde::Deserialize)]
    struct Message<'a> {
        #[serde(borrow, default)]
        content: Option<&'a RawValue>,
    }
    #[derive(serde::Deserialize)]
    struct Request<'a> {
        #[serde(borrow, default)]
        messages: Vec<Message<'a>>,
    }
    serde_json::from_slice::<Request<'_>>(body)
        .map(|r| prompt_tokens(r.messages.iter().map(|m| m.content)))
        .unwrap_or(0)
}

pub fn prompt_tokens<'a>(contents: impl Iterator<Item = Option<&'a RawValue>>) -> i64 {
    contents
        .map(|c| tokens_for_chars(content_chars(c)) + 4)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).unwrap()
    }

    #[test]
    fn text_and_parts_are_counted() {
        assert_eq!(content_chars(Some(&raw("\"hello world\""))), 11);
        assert_eq!(
            content_chars(Some(&raw(
                r#"[{"type":"text","text":"abcd"},{"type":"image_url","image_url":{"url":"x"}}]"#
            ))),
            4
        );
        assert_eq!(content_chars(None), 0);
        assert_eq!(tokens_for_chars(9), 3);
        let a = raw("\"12345678\"");
        assert_eq!(
            prompt_tokens([Some(a.as_ref()), None].into_iter()),
            2 + 4 + 4
        );
    }
}
