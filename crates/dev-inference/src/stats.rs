//! Counters the gateway's tests read to check what the upstream actually saw.
//!
//! Lock-free atomics on the hot path; the one lock guards the last chat body, is never held
//! across an `.await`, and only swaps a reference-counted buffer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::web::Bytes;
use serde::{Deserialize, Serialize};

/// Live counters of one server; clones share them.
#[derive(Clone, Default)]
pub struct Stats {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    requests: AtomicU64,
    chat_requests: AtomicU64,
    streams_started: AtomicU64,
    streams_completed: AtomicU64,
    abandoned: AtomicU64,
    image_requests: AtomicU64,
    injected_failures: AtomicU64,
    usage_tokens_reported: AtomicU64,
    stream_tokens_sent: AtomicU64,
    abandoned_stream_tokens: AtomicU64,
    /// Kept as the received bytes: parsing into a `Value` waits until someone asks.
    last_chat_request: Mutex<Option<Bytes>>,
}

/// A point-in-time copy of [`Stats`], the body of `GET /stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatsSnapshot {
    /// Every HTTP request to `/v1/*`, including rejected ones.
    pub requests: u64,
    /// Requests to `POST /v1/chat/completions` that passed authentication.
    pub chat_requests: u64,
    /// Chat completions answered as a stream (the response head was sent).
    pub streams_started: u64,
    /// Streams that reached `data: [DONE]`.
    pub streams_completed: u64,
    /// Requests and streams whose client went away before the answer was complete.
    pub abandoned: u64,
    /// Requests to `POST /v1/images/generations` that passed authentication.
    pub image_requests: u64,
    /// Errors answered because a `fail=` model option asked for them.
    pub injected_failures: u64,
    /// Σ `total_tokens` of every usage object sent (answers and usage chunks): what a gateway
    /// that meters exactly records for completed requests.
    #[serde(default)]
    pub usage_tokens_reported: u64,
    /// Content tokens sent on streams, and the part of them sent on streams whose client went
    /// away (what a gateway should have billed for cancelled streams).
    #[serde(default)]
    pub stream_tokens_sent: u64,
    #[serde(default)]
    pub abandoned_stream_tokens: u64,
    /// The last chat completion body as received (when it was valid JSON).
    pub last_chat_request: Option<serde_json::Value>,
}

impl std::fmt::Debug for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.snapshot().fmt(f)
    }
}

fn bump(counter: &AtomicU64) -> u64 {
    counter.fetch_add(1, Ordering::Relaxed)
}

impl Stats {
    /// Reads every counter; each is exact, the set is not one atomic cut (nobody needs that).
    pub fn snapshot(&self) -> StatsSnapshot {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let inner = &*self.inner;
        let last = inner
            .last_chat_request
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        StatsSnapshot {
            requests: load(&inner.requests),
            chat_requests: load(&inner.chat_requests),
            streams_started: load(&inner.streams_started),
            streams_completed: load(&inner.streams_completed),
            abandoned: load(&inner.abandoned),
            image_requests: load(&inner.image_requests),
            injected_failures: load(&inner.injected_failures),
            usage_tokens_reported: load(&inner.usage_tokens_reported),
            stream_tokens_sent: load(&inner.stream_tokens_sent),
            abandoned_stream_tokens: load(&inner.abandoned_stream_tokens),
            last_chat_request: last.and_then(|body| serde_json::from_slice(&body).ok()),
        }
    }

    pub(crate) fn count_request(&self) {
        bump(&self.inner.requests);
    }

    /// Counts a chat request and returns its sequence number (used for response ids).
    pub(crate) fn count_chat(&self) -> u64 {
        bump(&self.inner.chat_requests)
    }

    pub(crate) fn count_image(&self) -> u64 {
        bump(&self.inner.image_requests)
    }

    pub(crate) fn count_injected_failure(&self) {
        bump(&self.inner.injected_failures);
    }

    pub(crate) fn count_usage_reported(&self, total_tokens: usize) {
        self.inner
            .usage_tokens_reported
            .fetch_add(total_tokens as u64, Ordering::Relaxed);
    }

    pub(crate) fn record_chat_body(&self, body: Bytes) {
        let previous = self
            .inner
            .last_chat_request
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(body);
        // Freed after the lock is released.
        drop(previous);
    }
}

/// Counts a handler as abandoned when its future is dropped before it finished, which is
/// what actix does when the client disconnects while the handler is still waiting.
pub(crate) struct InFlight<'a> {
    stats: &'a Stats,
    armed: bool,
}

impl<'a> InFlight<'a> {
    pub(crate) fn new(stats: &'a Stats) -> Self {
        Self { stats, armed: true }
    }

    /// The handler produced its answer (success or error): not abandoned.
    pub(crate) fn finish(mut self) {
        self.armed = false;
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.armed {
            tracing::debug!("client went away before the answer was sent");
            bump(&self.stats.inner.abandoned);
        }
    }
}

/// Lives inside a streaming body: counts the stream as started when created, completed when
/// it reaches `[DONE]`, and abandoned when actix drops the body before either that or a
/// deliberate cut (the client went away).
pub(crate) struct StreamGuard {
    stats: Stats,
    open: bool,
    tokens: u64,
}

impl StreamGuard {
    pub(crate) fn start(stats: Stats) -> Self {
        bump(&stats.inner.streams_started);
        Self {
            stats,
            open: true,
            tokens: 0,
        }
    }

    pub(crate) fn stats(&self) -> &Stats {
        &self.stats
    }

    /// One content token went out.
    pub(crate) fn token(&mut self) {
        self.tokens += 1;
        bump(&self.stats.inner.stream_tokens_sent);
    }

    pub(crate) fn complete(&mut self) {
        if std::mem::replace(&mut self.open, false) {
            bump(&self.stats.inner.streams_completed);
        }
    }

    /// The server ended the stream on purpose (`cut=`); neither completed nor abandoned.
    pub(crate) fn cut(&mut self) {
        self.open = false;
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        if self.open {
            tracing::debug!("client went away in the middle of a stream");
            bump(&self.stats.inner.abandoned);
            self.stats
                .inner
                .abandoned_stream_tokens
                .fetch_add(self.tokens, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_handler_counts_as_abandoned_a_finished_one_does_not() {
        let stats = Stats::default();
        InFlight::new(&stats).finish();
        assert_eq!(stats.snapshot().abandoned, 0);
        drop(InFlight::new(&stats));
        assert_eq!(stats.snapshot().abandoned, 1);
    }

    #[test]
    fn streams_are_completed_cut_or_abandoned() {
        let stats = Stats::default();
        StreamGuard::start(stats.clone()).complete();
        StreamGuard::start(stats.clone()).cut();
        drop(StreamGuard::start(stats.clone()));
        let snapshot = stats.snapshot();
        assert_eq!(snapshot.streams_started, 3);
        assert_eq!(snapshot.streams_completed, 1);
        assert_eq!(snapshot.abandoned, 1);
    }

    #[test]
    fn the_last_chat_body_is_returned_as_json() {
        let stats = Stats::default();
        stats.record_chat_body(Bytes::from_static(br#"{"model":"a"}"#));
        stats.record_chat_body(Bytes::from_static(br#"{"model":"b"}"#));
        assert_eq!(
            stats.snapshot().last_chat_request,
            Some(serde_json::json!({"model": "b"}))
        );
    }
}
