//! The SSE relay: decodes the upstream's event stream and forwards each event as soon as it is
//! complete, with the public model id, dropping the usage chunk the client did not ask for.
//! Pull-based (the client's body pulls the upstream), so backpressure and cancellation come
//! for free: dropping this stream drops the upstream request.

use std::{
    borrow::Cow,
    convert::Infallible,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::Stream;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::time::{Instant, Sleep};

use crate::{
    splice,
    upstream::UpstreamResponse,
    usage::{Accounting, Usage},
};

const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";
const DONE: &[u8] = b"data: [DONE]\n\n";
/// An upstream that sends an event bigger than this is not speaking SSE.
const MAX_EVENT_BYTES: usize = 4 * 1024 * 1024;

#[derive(Deserialize)]
struct ChunkProbe<'a> {
    #[serde(borrow, default)]
    model: Option<&'a RawValue>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(borrow, default)]
    choices: Option<Vec<ChoiceProbe<'a>>>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct ChoiceProbe<'a> {
    #[serde(borrow, default)]
    delta: Option<DeltaProbe<'a>>,
}

#[derive(Deserialize)]
struct DeltaProbe<'a> {
    #[serde(borrow, default)]
    content: Option<Cow<'a, str>>,
}

pub struct RelayStream {
    upstream: UpstreamResponse,
    buffer: BytesMut,
    public_model: Bytes,
    client_wants_usage: bool,
    accounting: Accounting,
    keep_alive: Pin<Box<Sleep>>,
    keep_alive_every: Duration,
    finished: bool,
}

impl RelayStream {
    pub(crate) fn new(
        upstream: UpstreamResponse,
        public_model: &str,
        client_wants_usage: bool,
        accounting: Accounting,
        keep_alive_every: Duration,
    ) -> Self {
        Self {
            upstream,
            buffer: BytesMut::with_capacity(8 * 1024),
            public_model: splice::json_string(public_model),
            client_wants_usage,
            accounting,
            keep_alive: Box::pin(tokio::time::sleep(keep_alive_every)),
            keep_alive_every,
            finished: false,
        }
    }

    /// Ends the stream with an OpenAI-shaped error event: never a silent truncation.
    fn fail(&mut self, message: &str) -> Bytes {
        tracing::warn!(reason = message, "upstream stream failed");
        self.finished = true;
        self.accounting.finish(502);
        let body = serde_json::json!({
            "error": { "message": message, "type": "server_error", "param": null, "code": "upstream_error" }
        });
        frame(serde_json::to_vec(&body).unwrap_or_default().as_slice())
    }

    /// One complete event in, at most one frame out (`None`: nothing to forward).
    fn process(&mut self, event: Bytes) -> Option<Bytes> {
        let data = data_of(&event)?;
        if data.as_ref() == b"[DONE]" {
            self.finished = true;
            self.accounting.finish(200);
            return Some(Bytes::from_static(DONE));
        }
        let Ok(probe) = serde_json::from_slice::<ChunkProbe<'_>>(&data) else {
            return Some(self.fail("the model's server sent a malformed event"));
        };
        if probe.error.is_some() {
            self.finished = true;
            self.accounting.finish(502);
            return Some(frame(&data));
        }
        let choices = probe.choices.as_deref().unwrap_or_default();
        if let Some(usage) = probe.usage {
            self.accounting.reported(usage);
            if choices.is_empty() && !self.client_wants_usage {
                return None;
            }
        }
        let chars: usize = choices
            .iter()
            .filter_map(|c| c.delta.as_ref()?.content.as_ref())
            .map(|text| text.chars().count())
            .sum();
        if chars > 0 {
            self.accounting.first_byte();
            self.accounting.completion_text(chars);
        }
        let payload = probe
            .model
            .and_then(|model| splice::replace(&data, model, &self.public_model))
            .map_or(data.clone(), BytesMut::freeze);
        Some(frame(&payload))
    }
}

fn frame(payload: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(payload.len() + 8);
    out.put_slice(b"data: ");
    out.put_slice(payload);
    out.put_slice(b"\n\n");
    out.freeze()
}

/// The end of the first complete event in `buffer` and the length of its blank-line delimiter.
fn event_end(buffer: &[u8]) -> Option<(usize, usize)> {
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

/// The event's data (its `data:` lines joined), or `None` for comments and data-less events.
fn data_of(event: &Bytes) -> Option<Bytes> {
    let mut lines = event
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter_map(|line| line.strip_prefix(b"data:"))
        .map(|data| data.strip_prefix(b" ").unwrap_or(data));
    let first = lines.next()?;
    match lines.next() {
        None => Some(event.slice_ref(first)),
        Some(second) => {
            let mut joined = BytesMut::from(first);
            for line in std::iter::once(second).chain(lines) {
                joined.put_u8(b'\n');
                joined.put_slice(line);
            }
            Some(joined.freeze())
        }
    }
}

impl Stream for RelayStream {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.finished {
                return Poll::Ready(None);
            }
            if let Some((end, delimiter)) = event_end(&this.buffer) {
                let event = this.buffer.split_to(end + delimiter).freeze().slice(..end);
                if let Some(out) = this.process(event) {
                    let next = Instant::now() + this.keep_alive_every;
                    this.keep_alive.as_mut().reset(next);
                    return Poll::Ready(Some(Ok(out)));
                }
                continue;
            }
            if this.buffer.len() > MAX_EVENT_BYTES {
                return Poll::Ready(Some(Ok(
                    this.fail("the model's server sent an oversized event")
                )));
            }
            match Pin::new(&mut this.upstream).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => this.buffer.extend_from_slice(&chunk),
                Poll::Ready(Some(Err(error))) => {
                    tracing::warn!(%error, "upstream stream broke");
                    return Poll::Ready(Some(Ok(
                        this.fail("the model's server closed the stream unexpectedly")
                    )));
                }
                Poll::Ready(None) => {
                    if !this.buffer.is_empty() {
                        // A last event without its blank line: accept it, then insist on [DONE].
                        this.buffer.extend_from_slice(b"\n\n");
                        continue;
                    }
                    return Poll::Ready(Some(Ok(
                        this.fail("the model's server ended the stream unexpectedly")
                    )));
                }
                Poll::Pending => {
                    if this.keep_alive.as_mut().poll(cx).is_ready() {
                        let next = Instant::now() + this.keep_alive_every;
                        this.keep_alive.as_mut().reset(next);
                        return Poll::Ready(Some(Ok(Bytes::from_static(KEEP_ALIVE))));
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_end_at_a_blank_line_in_either_line_ending() {
        assert_eq!(event_end(b"data: a\n\ndata: b"), Some((7, 2)));
        assert_eq!(event_end(b"data: a\r\n\r\n"), Some((8, 3)));
        assert_eq!(event_end(b"data: a\n"), None);
    }

    #[test]
    fn data_lines_are_joined_and_comments_ignored() {
        assert_eq!(
            data_of(&Bytes::from_static(b"data: {\"a\":1}")).unwrap(),
            &b"{\"a\":1}"[..]
        );
        assert_eq!(
            data_of(&Bytes::from_static(b"event: x\ndata:1\ndata: 2")).unwrap(),
            &b"1\n2"[..]
        );
        assert!(data_of(&Bytes::from_static(b": ping")).is_none());
    }
}
