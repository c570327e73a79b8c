//! Server-sent events as the WHATWG spec defines them, for the relay: where an event ends,
//! what its fields are, and how to write one back out.
//!
//! An event is lines up to a blank line. `data:` lines are joined with `\n` (so JSON may span
//! several); `event:`, `id:` and `retry:` are fields the client must see too; lines starting
//! with `:` are comments (dropped: Studio sends its own keep-alives); any other field is
//! ignored, as the spec says.

use bytes::{BufMut, Bytes, BytesMut};

/// The end of the first complete event in `buffer` and the length of its blank-line delimiter.
pub(crate) fn event_end(buffer: &[u8]) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(offset) = buffer[from..].iter().position(|&b| b == b'\n') {
        let i = from + offset;
        match buffer.get(i + 1..) {
            Some([b'\n', ..]) => return Some((i, 2)),
            Some([b'\r', b'\n', ..]) => return Some((i, 3)),
            _ => from = i + 1,
        }
    }
    None
}

/// One event, split into what the relay looks at and what it passes on untouched.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Event {
    /// The `data:` lines joined, or `None` when there were none.
    pub data: Option<Bytes>,
    /// The `event:`, `id:` and `retry:` lines, each ending in `\n`, in their order.
    pub fields: Option<Bytes>,
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

pub(crate) fn parse(event: &Bytes) -> Event {
    let mut data: Option<BytesMut> = None;
    let mut single: Option<&[u8]> = None;
    let mut fields: Option<BytesMut> = None;
    for line in lines(event) {
        if line.is_empty() || line[0] == b':' {
            continue;
        }
        match split_field(line) {
            (b"data", value) => match (&mut data, single) {
                (Some(joined), _) => {
                    joined.put_u8(b'\n');
                    joined.put_slice(value);
                }
                (None, None) => single = Some(value),
                (None, Some(first)) => {
                    let mut joined = BytesMut::from(first);
                    joined.put_u8(b'\n');
                    joined.put_slice(value);
                    data = Some(joined);
                }
            },
            (b"event" | b"id" | b"retry", _) => {
                let out = fields.get_or_insert_with(BytesMut::new);
                out.put_slice(line);
                out.put_u8(b'\n');
            }
            _ => {}
        }
    }
    Event {
        // The common case, one data line, is a slice of the upstream's bytes: no copy.
        data: data
            .map(BytesMut::freeze)
            .or_else(|| single.map(|value| event.slice_ref(value))),
        fields: fields.map(BytesMut::freeze),
    }
}

/// Writes an event back: its other fields, then one `data:` line per line of `data`.
pub(crate) fn frame(fields: Option<&Bytes>, data: &[u8]) -> Bytes {
    let extra = fields.map_or(0, Bytes::len);
    let mut out = BytesMut::with_capacity(extra + data.len() + 10);
    if let Some(fields) = fields {
        out.put_slice(fields);
    }
    for line in data.split(|&b| b == b'\n') {
        out.put_slice(b"data: ");
        out.put_slice(line);
        out.put_u8(b'\n');
    }
    out.put_u8(b'\n');
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(text: &'static str) -> Event {
        parse(&Bytes::from_static(text.as_bytes()))
    }

    #[test]
    fn events_end_at_a_blank_line_in_either_line_ending() {
        assert_eq!(event_end(b"data: a\n\ndata: b"), Some((7, 2)));
        assert_eq!(event_end(b"data: a\r\n\r\n"), Some((8, 3)));
        assert_eq!(event_end(b"data: a\n"), None);
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
        let fields = Bytes::from_static(b"id: 7\n");
        assert_eq!(
            frame(Some(&fields), b"{\"a\":\n1}"),
            &b"id: 7\ndata: {\"a\":\ndata: 1}\n\n"[..]
        );
        assert_eq!(frame(None, b"[DONE]"), &b"data: [DONE]\n\n"[..]);
    }
}
