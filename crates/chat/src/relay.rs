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

use bytes::{Buf, Bytes, BytesMut};
use futures_util::Stream;
use studio_models::Upstream;
use tokio::time::{Instant, Sleep};

use crate::{
    deadlines::Deadlines, splice, sse::event_bounds, tap::Tap, upstream::UpstreamResponse,
    usage::Accounting,
};

const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";
/// An upstream that sends an event bigger than this is not speaking SSE.
pub(crate) const MAX_EVENT_BYTES: usize = 4 * 1024 * 1024;

/// The output buffer's first size; it grows to the largest read and is then reused.
const OUT_CAPACITY: usize = 1024;

/// One output chunk per upstream read: every event that read completed, framed into one
/// buffer, forwarded as soon as the read returns (no event waits for a later one).
pub struct RelayStream {
    upstream: UpstreamResponse,
    /// The start of an event whose end has not arrived yet.
    pending: BytesMut,
    /// `pending` may hold complete events (the first read, done by the proxy).
    pending_unread: bool,
    out: BytesMut,
    tap: Tap,
    deadlines: Deadlines,
    keep_alive_every: Duration,
    /// Armed at or before the next keep-alive or deadline; re-armed lazily when it fires
    /// early (events only ever move both later), so an event costs no timer update.
    keep_alive: Pin<Box<Sleep>>,
    timeout: Pin<Box<Sleep>>,
    /// The last event or keep-alive: the next keep-alive is due `keep_alive_every` after it.
    quiet_since: Instant,
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
            pending: buffer,
            pending_unread: true,
            out: BytesMut::new(),
            tap: Tap {
                public_model: splice::json_string(setup.public_model),
                client_wants_usage: setup.client_wants_usage,
                accounting,
                saw_finish: false,
                got_first_token: false,
                finished: false,
                shape: Default::default(),
            },
            deadlines,
            keep_alive_every: setup.keep_alive_every,
            keep_alive: Box::pin(tokio::time::sleep(setup.keep_alive_every)),
            timeout,
            quiet_since: now,
        }
    }

    /// Frames the complete events at the start of `bytes` into `out`; returns how many bytes
    /// they took.
    fn events(&mut self, bytes: &[u8]) -> usize {
        let mut used = 0;
        while let Some(bounds) = event_bounds(&bytes[used..]) {
            if self.out.capacity() == 0 {
                self.out.reserve(OUT_CAPACITY);
            }
            let event = &bytes[used..used + bounds.end];
            self.tap.event(event, bounds.one_line, &mut self.out);
            used += bounds.end + bounds.delimiter;
            if self.tap.finished {
                break;
            }
        }
        if used > 0 {
            let now = Instant::now();
            self.deadlines.last_event = now;
            self.deadlines.got_first_token = self.tap.got_first_token;
            self.quiet_since = now;
        }
        used
    }

    /// The events completed by `chunk` (with what was pending before it); keeps the rest.
    fn read(&mut self, chunk: &[u8]) {
        if self.pending.is_empty() {
            // The common case: whole events, straight from the upstream's buffer.
            let used = self.events(chunk);
            if !self.tap.finished {
                self.pending.extend_from_slice(&chunk[used..]);
            }
        } else {
            self.pending.extend_from_slice(chunk);
            self.pending_events();
        }
        if !self.tap.finished && self.pending.len() > MAX_EVENT_BYTES {
            self.fail("the model's server sent an oversized event");
        }
    }

    fn pending_events(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        let used = self.events(&pending);
        pending.advance(used);
        self.pending = pending;
    }

    fn fail(&mut self, message: &str) {
        self.tap.fail(&mut self.out, 502, "upstream_error", message);
    }

    /// The upstream's body ended.
    fn ended(&mut self) {
        if !self.pending.is_empty() {
            // A last event without its blank line: accept it.
            self.pending.extend_from_slice(b"\n\n");
            self.pending_events();
        }
        if self.tap.finished {
            return;
        }
        // Ended cleanly after the answer but without `[DONE]`: OpenAI clients wait for it, so
        // it is added.
        if self.tap.saw_finish {
            self.tap.done(&mut self.out, None);
        } else {
            self.fail("the model's server ended the stream unexpectedly");
        }
    }

    fn take_out(&mut self) -> Poll<Option<Result<Bytes, Infallible>>> {
        Poll::Ready(Some(Ok(self.out.split().freeze())))
    }

    /// While the upstream is silent: a deadline passed (the stream fails) or a keep-alive is
    /// due. A timer that fired before its real time is re-armed.
    fn on_silence(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Infallible>>> {
        if self.timeout.as_mut().poll(cx).is_ready() {
            let (deadline, what, limit) = self.deadlines.next();
            if Instant::now() >= deadline {
                let message = format!(
                    "the model did not {what} within {} seconds",
                    limit.as_secs()
                );
                self.tap
                    .fail(&mut self.out, 504, "upstream_timeout", &message);
                return self.take_out();
            }
            self.timeout.as_mut().reset(deadline);
            let _ = self.timeout.as_mut().poll(cx);
        }
        if self.keep_alive.as_mut().poll(cx).is_ready() {
            let now = Instant::now();
            let due = self.quiet_since + self.keep_alive_every;
            if now >= due {
                self.quiet_since = now;
                self.keep_alive.as_mut().reset(now + self.keep_alive_every);
                return Poll::Ready(Some(Ok(Bytes::from_static(KEEP_ALIVE))));
            }
            self.keep_alive.as_mut().reset(due);
            let _ = self.keep_alive.as_mut().poll(cx);
        }
        Poll::Pending
    }
}

impl Stream for RelayStream {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.pending_unread {
            this.pending_unread = false;
            this.pending_events();
            if !this.out.is_empty() {
                return this.take_out();
            }
        }
        loop {
            if this.tap.finished {
                return Poll::Ready(None);
            }
            match Pin::new(&mut this.upstream).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => this.read(&chunk),
                Poll::Ready(Some(Err(error))) => {
                    tracing::warn!(%error, "upstream stream broke");
                    this.fail("the model's server closed the stream unexpectedly");
                }
                Poll::Ready(None) => this.ended(),
                Poll::Pending => return this.on_silence(cx),
            }
            if !this.out.is_empty() {
                return this.take_out();
            }
        }
    }
}
