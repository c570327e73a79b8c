//! A fast read of a streamed chunk for the usage tap: one pass over the bytes that finds the
//! `model` value (to splice), the `usage`, whether a choice finished and the content each
//! delta carried, and checks the JSON's structure on the way. Most chunks of a stream are one
//! delta of a few characters; a general deserializer spends most of its time on keys and
//! values the tap does not need. Anything unusual (escaped keys, tool calls, deep nesting,
//! many choices) returns `None`, and the caller falls back to the serde probe.

use std::{borrow::Cow, ops::Range};

use crate::{json_walk::Parser, shape::Shape, usage::Usage};

/// Deltas with content this many choices at most are read here; more go to serde.
const MAX_TEXTS: usize = 4;

/// What [`scan`] found; the same facts as [`crate::probe::ChunkProbe`], for one chunk.
#[derive(Debug, Default)]
pub(crate) struct Scanned<'a> {
    /// Where the `model` value is, quotes included.
    pub model: Option<Range<usize>>,
    pub usage: Option<Usage>,
    pub error: bool,
    pub choices: usize,
    pub finished: bool,
    /// Each non-empty `delta.content`, unescaped.
    texts: [Option<Cow<'a, str>>; MAX_TEXTS],
    /// Where the (first) `delta.content` string is, between its quotes.
    pub content: Option<Range<usize>>,
    /// How many `delta.content` strings there were.
    pub contents: usize,
}

impl<'a> Scanned<'a> {
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.texts.iter().map_while(Option::as_deref)
    }

    /// A chunk of one choice whose only news is its content (see [`crate::shape`]).
    pub(crate) fn one_delta(
        model: Option<Range<usize>>,
        finished: bool,
        content: Range<usize>,
        text: Option<Cow<'a, str>>,
    ) -> Self {
        let mut texts: [Option<Cow<'a, str>>; MAX_TEXTS] = Default::default();
        texts[0] = text;
        Self {
            model,
            choices: 1,
            finished,
            texts,
            content: Some(content),
            contents: 1,
            ..Self::default()
        }
    }
}

/// A string's contents (between its quotes) as text; `None` when it is not valid.
pub(crate) fn text(quoted: &[u8], escaped: bool) -> Option<Cow<'_, str>> {
    if escaped {
        return serde_json::from_slice::<String>(quoted)
            .ok()
            .map(Cow::Owned);
    }
    std::str::from_utf8(&quoted[1..quoted.len() - 1])
        .ok()
        .map(Cow::Borrowed)
}

/// Reads one chunk's JSON, or `None` when serde should. `shape` is the layout the stream's
/// earlier chunks repeat: a chunk that fits it is read from its content string alone, any
/// other is read whole and leaves its own layout.
pub(crate) fn scan<'a>(json: &'a [u8], shape: &mut Shape) -> Option<Scanned<'a>> {
    if let Some(scanned) = shape.read(json) {
        return Some(scanned);
    }
    let scanned = scan_whole(json)?;
    shape.remember(json, &scanned);
    Some(scanned)
}

fn scan_whole(json: &[u8]) -> Option<Scanned<'_>> {
    let mut p = Parser::new(json);
    let mut out = Scanned::default();
    let mut seen = [false; 4];
    p.object(|p, key| {
        let slot = match key {
            b"model" => 0,
            b"usage" => 1,
            b"choices" => 2,
            b"error" => 3,
            _ => return p.value().map(drop),
        };
        // A repeated field is an error to serde: let it say so.
        if std::mem::replace(&mut seen[slot], true) {
            return None;
        }
        match slot {
            // serde reads a null as no model: nothing to splice.
            0 => out.model = Some(p.value()?).filter(|r| &json[r.clone()] != b"null"),
            1 => {
                let range = p.value()?;
                if &json[range.clone()] != b"null" {
                    out.usage = Some(serde_json::from_slice(&json[range]).ok()?);
                }
            }
            2 => {
                if p.peek()? == b'n' {
                    return p.is_null()?.then_some(());
                }
                p.array(|p| {
                    out.choices += 1;
                    choice(p, &mut out)
                })?;
            }
            _ => out.error = !p.is_null()?,
        }
        Some(())
    })?;
    p.at_end().then_some(out)
}

fn choice<'a>(p: &mut Parser<'a>, out: &mut Scanned<'a>) -> Option<()> {
    p.object(|p, key| match key {
        b"finish_reason" => {
            out.finished |= !p.is_null()?;
            Some(())
        }
        b"delta" => {
            if p.peek()? == b'n' {
                return p.is_null()?.then_some(());
            }
            p.object(|p, key| match key {
                b"content" => {
                    if p.peek()? != b'"' {
                        return p.is_null()?.then_some(());
                    }
                    let (range, escaped) = p.string()?;
                    out.content.get_or_insert(range.clone());
                    out.contents += 1;
                    if !range.is_empty() {
                        let slot = out.texts.iter_mut().find(|t| t.is_none())?;
                        *slot = Some(text(p.slice(range.start - 1..range.end + 1), escaped)?);
                    }
                    Some(())
                }
                // Tool calls are rare: serde reads them.
                b"tool_calls" => p.is_null()?.then_some(()),
                _ => p.value().map(drop),
            })
        }
        _ => p.value().map(drop),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delta_chunk_gives_its_model_content_and_finish() {
        let json = br#"{"id":"c1","object":"chat.completion.chunk","created":7,"model":"up\"x","choices":[{"index":0,"delta":{"content":"a\nb"},"finish_reason":null}],"usage":null}"#;
        let s = scan(json, &mut Shape::default()).unwrap();
        assert_eq!(&json[s.model.clone().unwrap()], br#""up\"x""#);
        assert_eq!(s.texts().collect::<Vec<_>>(), ["a\nb"]);
        assert!(!s.finished && s.usage.is_none() && !s.error);
        assert_eq!(s.choices, 1);
        let last = br#"{"model":"m","choices":[{"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}"#;
        let s = scan(last, &mut Shape::default()).unwrap();
        assert!(s.finished);
        assert_eq!(s.usage.unwrap().completion_tokens, Some(5));
    }

    #[test]
    fn what_serde_must_read_or_reject_is_left_to_it() {
        for json in [
            &b"{not json"[..],
            br#"{"model":"m"} x"#,
            br#"{"model":"m","model":"n"}"#,
            br#"{"choices":[{"delta":{"tool_calls":[{"function":{"name":"f"}}]}}]}"#,
            br#"{"mod\u0065l":"m"}"#,
            br#"{"created":tru}"#,
            br#"{"a":[1,]}"#,
        ] {
            assert!(
                scan(json, &mut Shape::default()).is_none(),
                "{}",
                String::from_utf8_lossy(json)
            );
        }
        let fresh = Shape::default;
        assert!(
            scan(br#"{"error":{"message":"x"}}"#, &mut fresh())
                .unwrap()
                .error
        );
        let spaced = br#" { "a" : [ 1.5e3 , -2 , {"b":[true,false,null]} ] } "#;
        assert!(scan(spaced, &mut fresh()).is_some());
    }
}
