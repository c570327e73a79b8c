//! The chat request as far as this server cares, and the predictable reply derived from it.
//!
//! The reply is `"echo: "` + the last user message, one token per word, so a test can predict
//! the text, the token count and the usage without running a model.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// The fields of an OpenAI chat body that change the answer; all others are ignored.
/// Strings borrow from the body when they have no escapes.
#[derive(Deserialize)]
pub(crate) struct ChatRequest<'a> {
    #[serde(borrow, default)]
    pub model: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub messages: Option<Vec<Message<'a>>>,
    #[serde(default)]
    pub stream: Option<bool>,
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
    #[serde(default)]
    pub max_tokens: Option<u64>,
    #[serde(default)]
    pub max_completion_tokens: Option<u64>,
}

#[derive(Deserialize)]
pub(crate) struct StreamOptions {
    #[serde(default)]
    pub include_usage: Option<bool>,
}

#[derive(Deserialize)]
pub(crate) struct Message<'a> {
    #[serde(borrow, default)]
    role: Cow<'a, str>,
    #[serde(borrow, default)]
    content: Option<Content<'a>>,
}

/// `content` is a string or an array of parts; only the `text` parts count.
pub(crate) enum Content<'a> {
    Text(Cow<'a, str>),
    Parts(Vec<Part<'a>>),
}

#[derive(Deserialize)]
pub(crate) struct Part<'a> {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Content<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ContentVisitor<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for ContentVisitor<'a> {
            type Value = Content<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of content parts")
            }

            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Borrowed(text)))
            }

            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Owned(text.to_owned())))
            }

            fn visit_string<E>(self, text: String) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Owned(text)))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut parts = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(part) = seq.next_element()? {
                    parts.push(part);
                }
                Ok(Content::Parts(parts))
            }
        }

        deserializer.deserialize_any(ContentVisitor(PhantomData))
    }
}

impl Message<'_> {
    /// The text pieces of this message, in order.
    fn texts(&self) -> impl Iterator<Item = &str> {
        let (whole, parts) = match &self.content {
            Some(Content::Text(text)) => (Some(text.as_ref()), None),
            Some(Content::Parts(parts)) => (None, Some(parts.iter())),
            None => (None, None),
        };
        let parts = parts.into_iter().flatten().filter_map(|part| {
            let is_text = part.kind.as_deref().is_none_or(|kind| kind == "text");
            part.text.as_deref().filter(|_| is_text)
        });
        whole.into_iter().chain(parts)
    }
}

/// Token counts in the OpenAI `usage` shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Usage {
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    pub total_tokens: usize,
}

/// What the model "generates": the echo's words, how many tokens to emit and why it stops.
#[derive(Debug)]
pub(crate) struct Reply {
    /// `echo:` and the user's words, joined by single spaces.
    text: String,
    /// Where each word sits in `text`; never empty (`echo:` is always there).
    words: Vec<Range<usize>>,
    /// Tokens to emit; more than `words.len()` cycles through the words again.
    count: usize,
    pub finish_reason: &'static str,
    pub usage: Usage,
}

impl Reply {
    /// Plans the reply; `tokens` is the `tokens=` option, `limit` the smaller of
    /// `max_tokens` and `max_completion_tokens`.
    pub(crate) fn plan(
        messages: &[Message<'_>],
        tokens: Option<usize>,
        limit: Option<u64>,
    ) -> Self {
        let prompt_tokens = messages
            .iter()
            .map(|message| {
                3 + message
                    .texts()
                    .map(|t| t.split_whitespace().count())
                    .sum::<usize>()
            })
            .sum();
        let mut text = String::from("echo:");
        let mut words = Vec::with_capacity(16);
        words.push(0..text.len());
        if let Some(last_user) = messages.iter().rev().find(|message| message.role == "user") {
            for word in last_user.texts().flat_map(str::split_whitespace) {
                text.push(' ');
                words.push(text.len()..text.len() + word.len());
                text.push_str(word);
            }
        }
        let (count, finish_reason) = match (tokens, limit) {
            (Some(n), _) => (n, "stop"),
            (None, Some(max)) if max < words.len() as u64 => (max as usize, "length"),
            (None, _) => (words.len(), "stop"),
        };
        Self {
            text,
            words,
            count,
            finish_reason,
            usage: Usage {
                prompt_tokens,
                completion_tokens: count,
                total_tokens: prompt_tokens + count,
            },
        }
    }

    pub(crate) fn token_count(&self) -> usize {
        self.count
    }

    /// The word of token `index` (without its leading space).
    pub(crate) fn word(&self, index: usize) -> &str {
        let range = &self.words[index % self.words.len()];
        self.text.get(range.clone()).unwrap_or_default()
    }

    /// The whole answer; borrowed from the plan unless `tokens=` made it cycle.
    pub(crate) fn content(&self) -> Cow<'_, str> {
        if self.count == 0 {
            return Cow::Borrowed("");
        }
        if let Some(last) = self.words.get(self.count - 1) {
            return Cow::Borrowed(self.text.get(..last.end).unwrap_or_default());
        }
        let mut content = String::with_capacity(self.count * 8);
        for index in 0..self.count {
            if index > 0 {
                content.push(' ');
            }
            content.push_str(self.word(index));
        }
        Cow::Owned(content)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(body: &str, tokens: Option<usize>, limit: Option<u64>) -> Reply {
        let request: ChatRequest = serde_json::from_str(body).unwrap();
        Reply::plan(&request.messages.unwrap(), tokens, limit)
    }

    const BODY: &str = r#"{"model":"m","messages":[
        {"role":"system","content":"be brief"},
        {"role":"user","content":"old question"},
        {"role":"assistant","content":null},
        {"role":"user","content":[{"type":"text","text":"what is"},
            {"type":"image_url","image_url":{"url":"data:x"}},{"type":"text","text":" in\nthis  picture"}]}
    ]}"#;

    #[test]
    fn the_reply_echoes_the_text_parts_of_the_last_user_message() {
        let reply = plan(BODY, None, None);
        assert_eq!(reply.content(), "echo: what is in this picture");
        assert_eq!(reply.token_count(), 6);
        assert_eq!(reply.finish_reason, "stop");
    }

    #[test]
    fn usage_counts_words_plus_three_per_message() {
        let usage = plan(BODY, None, None).usage;
        // 2 + 2 + 0 + 5 words, 4 messages.
        assert_eq!(usage.prompt_tokens, 9 + 12);
        assert_eq!(usage.completion_tokens, 6);
        assert_eq!(usage.total_tokens, 27);
    }

    #[test]
    fn max_tokens_below_the_word_count_stops_for_length() {
        let reply = plan(BODY, None, Some(2));
        assert_eq!(reply.content(), "echo: what");
        assert_eq!(reply.finish_reason, "length");
        assert_eq!(reply.usage.completion_tokens, 2);
        assert_eq!(plan(BODY, None, Some(6)).finish_reason, "stop");
    }

    #[test]
    fn the_tokens_option_cycles_through_the_words() {
        let body = r#"{"messages":[{"role":"user","content":"a b"}]}"#;
        let reply = plan(body, Some(7), Some(1));
        assert_eq!(reply.content(), "echo: a b echo: a b echo:");
        assert_eq!(reply.finish_reason, "stop");
        assert_eq!(plan(body, Some(0), None).content(), "");
    }

    #[test]
    fn escaped_strings_are_decoded() {
        let body = r#"{"messages":[{"role":"user","content":"caf\u00e9 \"quoted\""}]}"#;
        assert_eq!(plan(body, None, None).content(), "echo: café \"quoted\"");
    }

    #[test]
    fn a_conversation_without_a_user_message_echoes_nothing() {
        let body = r#"{"messages":[{"role":"system","content":"hi there"}]}"#;
        assert_eq!(plan(body, None, None).content(), "echo:");
    }
}
