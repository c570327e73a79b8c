//! A fast read of a streamed chunk for the usage tap: one pass over the bytes that finds the
//! `model` value (to splice), the `usage`, whether a choice finished and the content each
//! delta carried, and checks the JSON's structure on the way. Most chunks of a stream are one
//! delta of a few characters; a general deserializer spends most of its time on keys and
//! values the tap does not need. Anything unusual (escaped keys, tool calls, deep nesting,
//! many choices) returns `None`, and the caller falls back to the serde probe.

use std::{borrow::Cow, ops::Range};

use crate::{json_walk::Parser, usage::Usage};

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

/// What [`scan`] remembers of a stream's earlier chunks.
#[derive(Debug, Default)]
pub(crate) struct Memory {
    head: Head,
    shape: crate::shape::Shape,
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

/// The members before `choices` of an earlier chunk of the stream, and what they held. A
/// stream's chunks repeat them byte for byte (`id`, `object`, `created`, `model`), so a chunk
/// that starts with the same bytes is read from `choices` on: those bytes were checked once.
#[derive(Debug, Default)]
pub(crate) struct Head {
    /// From the `{` to just after the `,` before `"choices"`.
    bytes: Vec<u8>,
    model: Option<Range<usize>>,
    /// Whether `model` was among them (a repeat is an error, left to serde).
    model_seen: bool,
}

/// Reads one chunk's JSON, or `None` when serde should. `memory` holds what the stream's
/// earlier chunks repeat (a [`Head`] and a [`crate::shape::Shape`]), replaced when this chunk
/// has nothing in common with it.
pub(crate) fn scan<'a>(json: &'a [u8], memory: &mut Memory) -> Option<Scanned<'a>> {
    if let Some(scanned) = memory.shape.read(json) {
        return Some(scanned);
    }
    let scanned = scan_whole(json, &mut memory.head)?;
    memory.shape.remember(json, &scanned);
    Some(scanned)
}

/// [`scan`] without the shape: from the head on when the chunk repeats it.
fn scan_whole<'a>(json: &'a [u8], head: &mut Head) -> Option<Scanned<'a>> {
    let resumed = head.bytes.len() > 1 && json.starts_with(&head.bytes);
    let mut out = Scanned::default();
    let mut seen = [false; 4];
    // Where this chunk's own head ends, and whether `model` came before it.
    let mut new_head: Option<(usize, bool)> = None;
    let mut p = if resumed {
        out.model = head.model.clone();
        seen[0] = head.model_seen;
        Parser::resume_at(json, head.bytes.len())
    } else {
        Parser::new(json)
    };
    let member = |p: &mut Parser<'a>, key: &[u8]| {
        let slot = match key {
            b"model" => 0,
            b"usage" => 1,
            b"choices" => 2,
            b"error" => 3,
            _ => return p.value().map(drop),
        };
        // Only members that are the same in every chunk may be skipped next time.
        if slot == 2 && !resumed && !seen[1] && !seen[3] {
            new_head = Some((p.member_start, seen[0]));
        }
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
    };
    if resumed {
        p.members(member)?;
    } else {
        p.object(member)?;
    }
    if !p.at_end() {
        return None;
    }
    if let Some((end, model_seen)) = new_head {
        head.bytes.clear();
        head.bytes.extend_from_slice(&json[..end]);
        head.model = out.model.clone().filter(|_| model_seen);
        head.model_seen = model_seen;
    }
    Some(out)
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
        let s = scan(json, &mut Memory::default()).unwrap();
        assert_eq!(&json[s.model.clone().unwrap()], br#""up\"x""#);
        assert_eq!(s.texts().collect::<Vec<_>>(), ["a\nb"]);
        assert!(!s.finished && s.usage.is_none() && !s.error);
        assert_eq!(s.choices, 1);
        let last = br#"{"model":"m","choices":[{"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}"#;
        let s = scan(last, &mut Memory::default()).unwrap();
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
                scan(json, &mut Memory::default()).is_none(),
                "{}",
                String::from_utf8_lossy(json)
            );
        }
        let fresh = Memory::default;
        assert!(
            scan(br#"{"error":{"message":"x"}}"#, &mut fresh())
                .unwrap()
                .error
        );
        let spaced = br#" { "a" : [ 1.5e3 , -2 , {"b":[true,false,null]} ] } "#;
        assert!(scan(spaced, &mut fresh()).is_some());
    }

    #[test]
    fn a_repeated_head_is_read_once_and_gives_the_same_answer() {
        let chunk = |text: &str| {
            format!(
                r#"{{"id":"c1","created":7,"model":"up","choices":[{{"delta":{{"content":"{text}"}},"finish_reason":null}}]}}"#
            )
        };
        let mut head = Head::default();
        let first = chunk("a");
        let s = scan_whole(first.as_bytes(), &mut head).unwrap();
        assert_eq!(&first.as_bytes()[s.model.clone().unwrap()], br#""up""#);
        assert_eq!(head.bytes, br#"{"id":"c1","created":7,"model":"up","#);
        let second = chunk("bc");
        let s = scan_whole(second.as_bytes(), &mut head).unwrap();
        assert_eq!(&second.as_bytes()[s.model.clone().unwrap()], br#""up""#);
        assert_eq!(s.texts().collect::<Vec<_>>(), ["bc"]);
        // What follows the head is still checked, and a repeated `model` still goes to serde.
        let broken = br#"{"id":"c1","created":7,"model":"up","choices":[}"#;
        assert!(scan_whole(broken, &mut head).is_none());
        let twice = br#"{"id":"c1","created":7,"model":"up","model":"x","choices":[]}"#;
        assert!(scan_whole(twice, &mut head).is_none());
        // A different head is read whole and becomes the new one.
        let other = br#"{"id":"c2","model":"m2","choices":[]}"#;
        let s = scan_whole(other, &mut head).unwrap();
        assert_eq!(&other[s.model.clone().unwrap()], br#""m2""#);
        assert_eq!(head.bytes, br#"{"id":"c2","model":"m2","#);
    }
}
