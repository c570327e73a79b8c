//! Replacing one JSON value in a body without re-serialising the rest, so the client gets the
//! upstream's bytes exactly, only with the public model id.

use bytes::{Bytes, BytesMut};
use serde_json::value::RawValue;

/// Where in `body` the bytes of `value` (a slice borrowed from `body`) are.
pub fn range(body: &[u8], value: &RawValue) -> Option<std::ops::Range<usize>> {
    let start = (value.get().as_ptr() as usize).checked_sub(body.as_ptr() as usize)?;
    let end = start + value.get().len();
    (end <= body.len()).then_some(start..end)
}

/// `body` with the bytes of `value` (a slice borrowed from `body`) replaced by `replacement`.
pub fn replace(body: &[u8], value: &RawValue, replacement: &[u8]) -> Option<BytesMut> {
    let std::ops::Range { start, end } = range(body, value)?;
    let mut out = BytesMut::with_capacity(body.len() + replacement.len());
    out.extend_from_slice(&body[..start]);
    out.extend_from_slice(replacement);
    out.extend_from_slice(&body[end..]);
    Some(out)
}

/// A JSON string literal for `text`.
pub fn json_string(text: &str) -> Bytes {
    Bytes::from(serde_json::to_vec(text).unwrap_or_else(|_| b"\"\"".to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_value_changes() {
        #[derive(serde::Deserialize)]
        struct Probe<'a> {
            #[serde(borrow)]
            model: &'a RawValue,
        }
        let body = br#"{"id":"x", "model" : "upstream-name","n":1}"#;
        let probe: Probe<'_> = serde_json::from_slice(body).unwrap();
        let out = replace(body, probe.model, &json_string("public")).unwrap();
        assert_eq!(&out[..], br#"{"id":"x", "model" : "public","n":1}"#);
    }
}
