//! The layout of a stream's plain delta chunk, remembered: past the first few, nearly every
//! chunk of a stream is the same bytes around a different `delta.content` string (same id,
//! created, model, index, `"finish_reason":null`). A chunk that is the remembered bytes before
//! and after a valid string is that same document with other content, so only the string is
//! read; the rest was checked once, when the layout was remembered.

use std::ops::Range;

use crate::{
    json_walk::Parser,
    scan::{text, Scanned},
};

#[derive(Debug, Default)]
pub(crate) struct Shape {
    /// Up to and including the content string's opening quote (empty: nothing remembered).
    before: Vec<u8>,
    /// From the content string's closing quote to the end.
    after: Vec<u8>,
    model: Option<Range<usize>>,
    finished: bool,
}

impl Shape {
    /// The facts of `json` if it has the remembered layout; `None` to read it whole.
    pub fn read<'a>(&self, json: &'a [u8]) -> Option<Scanned<'a>> {
        let (before, after) = (self.before.len(), self.after.len());
        if before == 0 || json.len() < before + after {
            return None;
        }
        if !json.starts_with(&self.before) || !json.ends_with(&self.after) {
            return None;
        }
        // The string must end exactly where `after` begins (an unescaped quote earlier would
        // make this a different document).
        let mut p = Parser::resume_at(json, before - 1);
        let (content, escaped) = p.string()?;
        if content.end != json.len() - after {
            return None;
        }
        let text = if content.is_empty() {
            None
        } else {
            Some(text(&json[content.start - 1..content.end + 1], escaped)?)
        };
        Some(Scanned::one_delta(
            self.model.clone(),
            self.finished,
            content,
            text,
        ))
    }

    /// Remembers the layout of a chunk read whole, if it is one choice with content and
    /// nothing else a later chunk could differ in (usage, an error).
    pub fn remember(&mut self, json: &[u8], scanned: &Scanned<'_>) {
        let Some(content) = scanned.content.clone() else {
            return;
        };
        if scanned.choices != 1 || scanned.contents != 1 || scanned.usage.is_some() || scanned.error
        {
            return;
        }
        self.before.clear();
        self.before.extend_from_slice(&json[..content.start]);
        self.after.clear();
        self.after.extend_from_slice(&json[content.end..]);
        self.model = scanned.model.clone();
        self.finished = scanned.finished;
    }
}

#[cfg(test)]
mod tests {
    use super::Shape;
    use crate::scan::scan;

    fn chunk(content: &str) -> String {
        format!(
            r#"{{"id":"c1","created":7,"model":"up","choices":[{{"index":0,"delta":{{"content":"{content}"}},"finish_reason":null}}],"usage":null}}"#
        )
    }

    #[test]
    fn a_chunk_of_the_remembered_layout_gives_what_a_whole_read_gives() {
        let mut shape = Shape::default();
        for (n, content) in ["a", "", "b c", r#"q\"uote\n"#, "\u{e9}t\u{e9}"]
            .into_iter()
            .enumerate()
        {
            let json = chunk(content);
            // Every chunk after the first fits the layout the first one left.
            assert_eq!(shape.read(json.as_bytes()).is_some(), n > 0, "{content}");
            let fast = scan(json.as_bytes(), &mut shape).unwrap();
            let whole = scan(json.as_bytes(), &mut Shape::default()).unwrap();
            assert_eq!(fast.model, whole.model);
            assert_eq!(fast.content, whole.content);
            assert_eq!(
                (fast.choices, fast.finished),
                (whole.choices, whole.finished)
            );
            assert_eq!(
                fast.texts().collect::<Vec<_>>(),
                whole.texts().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn what_does_not_fit_the_layout_is_read_whole_or_refused() {
        let mut shape = Shape::default();
        scan(chunk("a").as_bytes(), &mut shape).unwrap();
        // An unescaped quote ends the string early: not this layout, and not valid JSON.
        assert!(scan(chunk(r#"x"y"#).as_bytes(), &mut shape).is_none());
        // A control character in the string is invalid JSON.
        assert!(scan(chunk("x\u{1}").as_bytes(), &mut shape).is_none());
        // Another shape is read whole: the final chunk's finish and usage are seen.
        let last = r#"{"id":"c1","created":7,"model":"up","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#;
        let s = scan(last.as_bytes(), &mut shape).unwrap();
        assert!(s.finished);
        assert_eq!(s.usage.unwrap().total_tokens, Some(3));
        // A string that swallows what follows it does not fit either.
        let sneaky = chunk(r#"a\"},\"finish_reason\":\"stop"#);
        let fast = scan(sneaky.as_bytes(), &mut shape).unwrap();
        assert!(!fast.finished);
        // Two contents in one delta are never remembered as a layout of one.
        let twice = r#"{"choices":[{"delta":{"content":"","content":"b"}}]}"#;
        let mut shape = Shape::default();
        scan(twice.as_bytes(), &mut shape).unwrap();
        let again = r#"{"choices":[{"delta":{"content":"z","content":"b"}}]}"#;
        assert!(shape.read(again.as_bytes()).is_none());
        let texts: Vec<String> = scan(again.as_bytes(), &mut shape)
            .unwrap()
            .texts()
            .map(str::to_owned)
            .collect();
        assert_eq!(texts, ["z", "b"]);
    }
}
