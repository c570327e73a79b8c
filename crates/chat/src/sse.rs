//! Server-sent events as the WHATWG spec defines them, for the relay: where an event ends,
//! what its fields are, and how to write one back out.
//!
//! An event is lines up to a blank line. `data:` lines are joined with `\n` (so JSON may span
//! several); `event:`, `id:` and `retry:` are fields the client must see too; lines starting
//! with `:` are comments (dropped: Studio sends its own keep-alives); any other field is
//! ignored, as the spec says.

use std::borrow::Cow;

use bytes::{BufMut, BytesMut};

/// The end of the first complete event in `buffer` and the length of its blank-line delimiter.
pub(crate) fn event_end(buffer: &[u8]) -> Option<(usize, usize)> {
    event_bounds(buffer).map(|b| (b.end, b.delimiter))
}

/// Where the first complete event in a buffer ends.
pub(crate) struct Bounds {
    pub end: usize,
    /// The length of the blank-line delimiter after `end`.
    pub delimiter: usize,
    /// The event is one line (no `\n` before `end`; a `\r` ending may remain): known from the
    /// search for its end, so that nothing searches the line again.
    pub one_line: bool,
}

pub(crate) fn event_bounds(buffer: &[u8]) -> Option<Bounds> {
    let mut from = 0;
    while let Some(i) = newline(buffer, from) {
        let delimiter = match buffer.get(i + 1..) {
            Some([b'\n', ..]) => 2,
            Some([b'\r', b'\n', ..]) => 3,
            _ => {
                from = i + 1;
                continue;
            }
        };
        // With a CRLF delimiter the event ends in its `\r` and a line before it could end in
        // `\r\n` too; only the first newline being the delimiter's proves one line.
        return Some(Bounds {
            end: i,
            delimiter,
            one_line: from == 0,
        });
    }
    None
}

/// The first `\n` at or after `from` (SIMD: an event is a couple of hundred bytes, and every
/// byte of every event passes through here).
fn newline(buffer: &[u8], from: usize) -> Option<usize> {
    memchr::memchr(b'\n', buffer.get(from..)?).map(|i| from + i)
}

/// One event, split into what the relay looks at and what it passes on untouched.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Event<'a> {
    /// The `data:` lines joined, or `None` when there were none.
    pub data: Option<Cow<'a, [u8]>>,
    /// The `event:`, `id:` and `retry:` lines, each ending in `\n`, in their order.
    pub fields: Option<Vec<u8>>,
}

fn lines(event: &[u8]) -> impl Iterator<Item = &[u8]> {
    event
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
}

/// `field: value` → (field, value), the one space after the colon removed; `field` alone has
/// an empty value.
fn split_field(line: &[u8]) -> (&[u8], &[u8]) {
    match line.iter().position(|&b| b == b':') {
        Some(colon) => {
            let value = &line[colon + 1..];
            (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
        }
        None => (line, &[]),
    }
}

/// The common event, one `data:` line and nothing else: its value, borrowed. `one_line`: the
/// event is already known to be one line (see [`Bounds::one_line`]), so it is not searched.
fn single_data(event: &[u8], one_line: bool) -> Option<&[u8]> {
    if !one_line && event.contains(&b'\n') {
        return None;
    }
    let value = event.strip_prefix(b"data:")?;
    let value = value.strip_suffix(b"\r").unwrap_or(value);
    Some(value.strip_prefix(b" ").unwrap_or(value))
}

/// An event's data and fields; `one_line` as for [`single_data`].
pub(crate) fn parse(event: &[u8], one_line: bool) -> Event<'_> {
    if let Some(data) = single_data(event, one_line) {
        return Event {
            data: Some(Cow::Borrowed(data)),
            fields: None,
        };
    }
    let mut data: Option<Cow<'_, [u8]>> = None;
    let mut fields: Option<Vec<u8>> = None;
    for line in lines(event) {
        if line.is_empty() || line[0] == b':' {
            continue;
        }
        match split_field(line) {
            (b"data", value) => match &mut data {
                // One data line is a slice of the upstream's bytes: no copy.
                None => data = Some(Cow::Borrowed(value)),
                Some(joined) => {
                    let joined = joined.to_mut();
                    joined.push(b'\n');
                    joined.extend_from_slice(value);
                }
            },
            (b"event" | b"id" | b"retry", _) => {
                let out = fields.get_or_insert_with(Vec::new);
                out.extend_from_slice(line);
                out.push(b'\n');
            }
            _ => {}
        }
    }
    Event { data, fields }
}

/// Writes an event to `out`: its other fields, then one `data:` line per line of `data`.
pub(crate) fn frame(out: &mut BytesMut, fields: Option<&[u8]>, data: &[u8]) {
    out.reserve(fields.map_or(0, <[u8]>::len) + data.len() + 10);
    if let Some(fields) = fields {
        out.put_slice(fields);
    }
    for line in data.split(|&b| b == b'\n') {
        out.put_slice(b"data: ");
        out.put_slice(line);
        out.put_u8(b'\n');
    }
    out.put_u8(b'\n');
}

/// [`frame`] of `data` with `data[range]` replaced by `replacement` (which holds no newline),
/// written straight to `out`. `one_line`: `data` is known to hold no newline.
pub(crate) fn frame_spliced(
    out: &mut BytesMut,
    fields: Option<&[u8]>,
    data: &[u8],
    splice: (std::ops::Range<usize>, &[u8]),
    one_line: bool,
) {
    let (range, replacement) = splice;
    if !one_line && data.contains(&b'\n') {
        let mut joined = Vec::with_capacity(data.len() + replacement.len());
        joined.extend_from_slice(&data[..range.start]);
        joined.extend_from_slice(replacement);
        joined.extend_from_slice(&data[range.end..]);
        return frame(out, fields, &joined);
    }
    out.reserve(fields.map_or(0, <[u8]>::len) + data.len() + replacement.len() + 8);
    if let Some(fields) = fields {
        out.put_slice(fields);
    }
    out.put_slice(b"data: ");
    out.put_slice(&data[..range.start]);
    out.put_slice(replacement);
    out.put_slice(&data[range.end..]);
    out.put_slice(b"\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(text: &'static str) -> Event<'static> {
        let parsed = parse(text.as_bytes(), false);
        if !text.contains('\n') {
            assert_eq!(parse(text.as_bytes(), true), parsed);
        }
        parsed
    }

    fn framed(fields: Option<&[u8]>, data: &[u8]) -> BytesMut {
        let mut out = BytesMut::new();
        frame(&mut out, fields, data);
        out
    }

    #[test]
    fn events_end_at_a_blank_line_in_either_line_ending() {
        assert_eq!(event_end(b"data: a\n\ndata: b"), Some((7, 2)));
        assert_eq!(event_end(b"data: a\r\n\r\n"), Some((8, 3)));
        assert_eq!(event_end(b"data: a\n"), None);
        let long = b"data: {\"0123456789\":\"abcdefghijklmnop\"}\n\ndata: x\r\n\r\n";
        assert_eq!(event_end(long), Some((39, 2)));
        assert_eq!(event_end(&long[41..]), Some((8, 3)));
        let one_line = |text: &[u8]| event_bounds(text).map(|b| b.one_line);
        assert_eq!(one_line(b"data: a\n\n"), Some(true));
        assert_eq!(one_line(b"data: a\r\n\r\n"), Some(true));
        assert_eq!(one_line(b"event: x\ndata: a\n\n"), Some(false));
        assert_eq!(one_line(b"event: x\r\ndata: a\r\n\r\n"), Some(false));
        for n in 0..20 {
            let text = [vec![b'a'; n], b"\n".to_vec()].concat();
            assert_eq!(newline(&text, 0), Some(n));
        }
    }

    #[test]
    fn data_lines_are_joined_and_fields_kept_and_comments_dropped() {
        assert_eq!(event("data: {\"a\":1}").data.unwrap(), &b"{\"a\":1}"[..]);
        let multi = event("event: x\ndata:1\n: comment\ndata: 2\nid: 7\nfoo: bar");
        assert_eq!(multi.data.unwrap(), &b"1\n2"[..]);
        assert_eq!(multi.fields.unwrap(), &b"event: x\nid: 7\n"[..]);
        assert_eq!(
            event(": ping"),
            Event {
                data: None,
                fields: None
            }
        );
        assert_eq!(event("data").data.unwrap(), &b""[..]);
    }

    #[test]
    fn a_multi_line_payload_is_written_one_data_line_per_line() {
        assert_eq!(
            framed(Some(b"id: 7\n"), b"{\"a\":\n1}"),
            &b"id: 7\ndata: {\"a\":\ndata: 1}\n\n"[..]
        );
        assert_eq!(framed(None, b"[DONE]"), &b"data: [DONE]\n\n"[..]);
    }

    #[test]
    fn a_spliced_frame_equals_the_frame_of_the_spliced_data() {
        for data in [
            &b"{\"model\":\"up\",\"n\":1}"[..],
            b"{\"model\":\"up\",\n\"n\":1}",
        ] {
            let one_line = !data.contains(&b'\n');
            for known in [false, one_line] {
                let mut spliced = BytesMut::new();
                let splice = (9..13, &b"\"pub\""[..]);
                frame_spliced(&mut spliced, Some(b"id: 1\n"), data, splice, known);
                let replaced = [&data[..9], b"\"pub\"", &data[13..]].concat();
                assert_eq!(spliced, framed(Some(b"id: 1\n"), &replaced));
            }
        }
        assert_eq!(event("data: x\r").data.unwrap(), &b"x"[..]);
    }
}
