//! The SSE relay: decodes the upstream's event stream and forwards each event as soon as it is
//! complete, with the public model id, dropping the usage chunk the client did not ask for.
//! Pull-based (the client's body pulls the upstream), so backpressure and cancellation come
//! for free: dropping this stream drops the upstream request.
//!
//! Bounded in time: the first content (or tool call) must come within the upstream's
//! first-token timeout, no silence may outlast its idle timeout, and the whole stream its
//! timeout; past any of them the client gets an OpenAI-shaped error event and the stream ends.

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use studio_models::Upstream;
use tokio::time::{Instant, Sleep};

use crate::{
    deadlines::Deadlines,
    probe::ChunkProbe,
    splice,
    sse::{self, event_end},
    upstream::UpstreamResponse,
    usage::Accounting,
};

const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";
const DONE: &[u8] = b"[DONE]";
/// An upstream that sends an event bigger than this is not speaking SSE.
pub(crate) const MAX_EVENT_BYTES: usize = 4 * 1024 * 1024;

pub struct RelayStream {
    upstream: UpstreamResponse,
    buffer: BytesMut,
    public_model: Bytes,
    client_wants_usage: bool,
    accounting: Accounting,
    keep_alive: Pin<Box<Sleep>>,
    keep_alive_every: Duration,
    deadlines: Deadlines,
    timeout: Pin<Box<Sleep>>,
    /// A choice ended (`finish_reason`): an upstream that then closes without `[DONE]` has
    /// still answered completely.
    saw_finish: bool,
    finished: bool,
}

/// What the relay needs besides the upstream's response.
pub(crate) struct RelaySetup<'a> {
    pub public_model: &'a str,
    pub client_wants_usage: bool,
    pub keep_alive_every: Duration,
    pub upstream: &'a Upstream,
    pub started: Instant,
}

impl RelayStream {
    /// `buffer` holds what the proxy already read (the first event).
    pub(crate) fn new(
        upstream: UpstreamResponse,
        buffer: BytesMut,
        accounting: Accounting,
        setup: RelaySetup<'_>,
    ) -> Self {
        let now = Instant::now();
        let deadlines = Deadlines {
            started: setup.started,
            first_token: setup.upstream.first_token_timeout,
            idle: setup.upstream.idle_timeout,
            total: setup.upstream.timeout,
            got_first_token: false,
            last_event: now,
        };
        let timeout = Box::pin(tokio::time::sleep_until(deadlines.next().0));
        Self {
            upstream,
            buffer,
            public_model: splice::json_string(setup.public_model),
            client_wants_usage: setup.client_wants_usage,
            accounting,
            keep_alive: Box::pin(tokio::time::sleep(setup.keep_alive_every)),
            keep_alive_every: setup.keep_alive_every,
            deadlines,
            timeout,
            saw_finish: false,
            finished: false,
        }
    }

    /// Ends the stream with an OpenAI-shaped error event: never a silent truncation.
    fn fail(&mut self, status: u16, code: &str, message: &str) -> Bytes {
        tracing::warn!(reason = message, "upstream stream failed");
        self.finished = true;
        self.accounting.finish(status);
        let body = serde_json::json!({
            "error": { "message": message, "type": "server_error", "param": null, "code": code }
        });
        sse::frame(
            None,
            serde_json::to_vec(&body).unwrap_or_default().as_slice(),
        )
    }

    fn done(&mut self, fields: Option<&Bytes>) -> Bytes {
        self.finished = true;
        self.accounting.finish(200);
        sse::frame(fields, DONE)
    }

    /// One complete event in, at most one frame out (`None`: nothing to forward).
    fn process(&mut self, event: Bytes) -> Option<Bytes> {
        self.deadlines.last_event = Instant::now();
        let sse::Event { data, fields } = sse::parse(&event);
        let Some(data) = data else {
            // `retry:` or `id:` alone still mean something to the client; comments do not.
            return fields.map(|f| [&f[..], b"\n"].concat().into());
        };
        if data.as_ref() == DONE {
            return Some(self.done(fields.as_ref()));
        }
        let Ok(probe) = serde_json::from_slice::<ChunkProbe<'_>>(&data) else {
            return Some(self.fail(
                502,
                "upstream_error",
                "the model's server sent a malformed event",
            ));
        };
        if probe.error.is_some() {
            self.finished = true;
            self.accounting.finish(502);
            return Some(sse::frame(fields.as_ref(), &data));
        }
        let choices = probe.choices.as_deref().unwrap_or_default();
        if let Some(usage) = probe.usage {
            self.accounting.reported(usage);
            if choices.is_empty() && !self.client_wants_usage {
                return None;
            }
        }
        for choice in choices {
            self.saw_finish |= choice.finish_reason.is_some_and(|r| r.get() != "null");
            if let Some(delta) = &choice.delta {
                if self.accounting.delta(delta) {
                    self.deadlines.got_first_token = true;
                }
            }
        }
        let payload = probe
            .model
            .and_then(|model| splice::replace(&data, model, &self.public_model))
            .map_or(data.clone(), BytesMut::freeze);
        Some(sse::frame(fields.as_ref(), &payload))
    }

    fn reset_timers(&mut self) {
        let next = Instant::now() + self.keep_alive_every;
        self.keep_alive.as_mut().reset(next);
        let deadline = self.deadlines.next().0;
        self.timeout.as_mut().reset(deadline);
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
                let out = this.process(event);
                this.reset_timers();
                if let Some(out) = out {
                    return Poll::Ready(Some(Ok(out)));
                }
                continue;
            }
            if this.buffer.len() > MAX_EVENT_BYTES {
                return Poll::Ready(Some(Ok(this.fail(
                    502,
                    "upstream_error",
                    "the model's server sent an oversized event",
                ))));
            }
            match Pin::new(&mut this.upstream).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => this.buffer.extend_from_slice(&chunk),
                Poll::Ready(Some(Err(error))) => {
                    tracing::warn!(%error, "upstream stream broke");
                    return Poll::Ready(Some(Ok(this.fail(
                        502,
                        "upstream_error",
                        "the model's server closed the stream unexpectedly",
                    ))));
                }
                Poll::Ready(None) => {
                    if !this.buffer.is_empty() {
                        // A last event without its blank line: accept it.
                        this.buffer.extend_from_slice(b"\n\n");
                        continue;
                    }
                    // Ended cleanly after the answer but without `[DONE]`: OpenAI clients
                    // wait for it, so it is added.
                    if this.saw_finish {
                        return Poll::Ready(Some(Ok(this.done(None))));
                    }
                    return Poll::Ready(Some(Ok(this.fail(
                        502,
                        "upstream_error",
                        "the model's server ended the stream unexpectedly",
                    ))));
                }
                Poll::Pending => {
                    if this.timeout.as_mut().poll(cx).is_ready() {
                        let (_, what, limit) = this.deadlines.next();
                        let message = format!(
                            "the model did not {what} within {} seconds",
                            limit.as_secs()
                        );
                        return Poll::Ready(Some(Ok(this.fail(504, "upstream_timeout", &message))));
                    }
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
