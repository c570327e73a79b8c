//! Accounting for one request. A drop guard: if the request ends early (the client went
//! away and the response future or stream was dropped) the record is still written, marked
//! cancelled, with what was produced so far.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use serde::Deserialize;
use studio_core::{ids::new_id, time::now};
use studio_limits::Admission;
use studio_models::{ModelSeries, Pricing};
use studio_usage::{UsageRecord, UsageWriter};

use crate::{estimate, probe::DeltaProbe};
use studio_core::Caller;

/// The status recorded for requests whose client went away (nginx's convention).
const CLIENT_CLOSED: i32 = 499;
/// Completion text kept for an estimate; a longer answer is counted by characters past it.
const MAX_KEPT_TEXT: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Usage {
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub total_tokens: Option<i64>,
}

/// What a request answered inside Studio (a chat session's reply), kept on its usage record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageTag {
    pub session_id: Option<String>,
    pub message_id: Option<String>,
}

pub struct Accounting {
    writer: Option<UsageWriter>,
    record: UsageRecord,
    started: Instant,
    /// The request body, for a prompt estimate if the upstream reports no usage.
    request_body: bytes::Bytes,
    /// What the upstream produced (content, tool-call names and arguments), kept only for an
    /// estimate in case it reports no usage; beyond the cap only characters are counted.
    completion_text: String,
    overflow_chars: usize,
    reported: Option<Usage>,
    ttft: Option<Duration>,
    /// The limiter's reservation, settled with the real usage when the record is written.
    admission: Option<Admission>,
    pricing: Option<Pricing>,
    /// The model's metric series; `streaming` once a stream is being relayed.
    series: Option<Arc<ModelSeries>>,
    streaming: bool,
}

impl Accounting {
    pub fn new(
        writer: &UsageWriter,
        caller: &Caller,
        model: &str,
        stream: bool,
        request_body: bytes::Bytes,
    ) -> Self {
        Self {
            writer: Some(writer.clone()),
            record: UsageRecord {
                id: new_id(),
                user_id: caller.user_id.clone(),
                api_key_id: caller.api_key_id.clone(),
                kind: "chat".into(),
                model: model.to_owned(),
                upstream: None,
                stream,
                prompt_tokens: 0,
                completion_tokens: 0,
                total_tokens: 0,
                estimated: false,
                ttft_ms: None,
                latency_ms: 0,
                status: 0,
                cancelled: false,
                created_at: now(),
                cost_usd: 0.0,
                session_id: None,
                message_id: None,
                images: 0,
            },
            started: Instant::now(),
            request_body,
            completion_text: String::new(),
            overflow_chars: 0,
            reported: None,
            ttft: None,
            admission: None,
            pricing: None,
            series: None,
            streaming: false,
        }
    }

    pub(crate) fn observe(&mut self, series: Option<Arc<ModelSeries>>) {
        self.series = series;
    }

    /// The stream is relayed from now on (an active stream until the record is written).
    pub(crate) fn streaming(&mut self) {
        if let Some(series) = self.series.as_ref().filter(|_| !self.streaming) {
            series.active_streams.increment(1.0);
        }
        self.streaming = true;
    }

    pub(crate) fn limit(&mut self, admission: Option<Admission>, pricing: Option<Pricing>) {
        self.admission = admission;
        self.pricing = pricing;
    }

    pub(crate) fn tag(&mut self, tag: UsageTag) {
        self.record.session_id = tag.session_id;
        self.record.message_id = tag.message_id;
    }

    pub fn upstream(&mut self, base_url: &str) {
        self.record.upstream = Some(base_url.to_owned());
    }

    pub fn first_byte(&mut self) {
        if self.ttft.is_none() {
            self.ttft = Some(self.started.elapsed());
        }
    }

    pub fn completion_text(&mut self, text: &str) {
        if self.completion_text.len() + text.len() <= MAX_KEPT_TEXT {
            self.completion_text.push_str(text);
        } else {
            self.overflow_chars += text.chars().count();
        }
    }

    /// Accounts one streamed delta; true when it carried content or a tool call (the first
    /// such delta is the time to first token).
    pub(crate) fn delta(&mut self, delta: &DeltaProbe<'_>) -> bool {
        let mut produced = false;
        if let Some(text) = delta.content.as_deref().filter(|t| !t.is_empty()) {
            self.completion_text(text);
            produced = true;
        }
        for call in delta.tool_calls.iter().flatten() {
            produced = true;
            let Some(function) = &call.function else {
                continue;
            };
            for text in [&function.name, &function.arguments].into_iter().flatten() {
                self.completion_text(text);
            }
        }
        if produced {
            self.first_byte();
        }
        produced
    }

    pub fn reported(&mut self, usage: Usage) {
        self.reported = Some(usage);
    }

    /// Records the request as finished with `status`.
    pub fn finish(&mut self, status: u16) {
        self.write(i32::from(status), false);
    }

    /// Records a request that got no answer: nothing was produced, so nothing is counted.
    pub fn failed(&mut self, status: u16) {
        self.reported = Some(Usage {
            prompt_tokens: Some(0),
            completion_tokens: Some(0),
            total_tokens: Some(0),
        });
        self.finish(status);
    }

    fn write(&mut self, status: i32, cancelled: bool) {
        let Some(writer) = self.writer.take() else {
            return;
        };
        let mut record = self.record.clone();
        let latency = self.started.elapsed();
        record.ttft_ms = self.ttft.map(|d| d.as_millis() as i64);
        record.latency_ms = latency.as_millis() as i64;
        record.status = status;
        record.cancelled = cancelled;
        if let Some(series) = &self.series {
            let upstream = record.upstream.as_deref();
            crate::observe::finished(series, upstream, self.ttft, latency, cancelled);
            if self.streaming {
                series.active_streams.decrement(1.0);
            }
        }
        let reported = self
            .reported
            .filter(|u| u.prompt_tokens.is_some() || u.completion_tokens.is_some());
        let settle = Settle {
            writer,
            admission: self.admission.take(),
            pricing: self.pricing.take(),
            series: self.series.take(),
        };
        if reported.is_none() && record.upstream.is_none() {
            // Nothing produced and no upstream reached: nothing was used.
            return settle.record(record);
        }
        if let Some(usage) =
            reported.filter(|u| u.prompt_tokens.is_some() && u.completion_tokens.is_some())
        {
            // The common case: the upstream counted, nothing to estimate.
            record.prompt_tokens = usage.prompt_tokens.unwrap_or_default();
            record.completion_tokens = usage.completion_tokens.unwrap_or_default();
            record.total_tokens = usage
                .total_tokens
                .unwrap_or(record.prompt_tokens + record.completion_tokens);
            return settle.record(record);
        }
        let estimate = Estimate {
            body: std::mem::take(&mut self.request_body),
            text: std::mem::take(&mut self.completion_text),
            overflow_chars: self.overflow_chars,
            reported,
        };
        // Tokenizing long texts takes milliseconds: not on an async worker.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn_blocking(move || settle.record(estimate.apply(record)));
            }
            Err(_) => settle.record(estimate.apply(record)),
        }
    }
}

/// The last step of a record: its cost, the limiter settled with what was really used, the
/// tokens counted in the metrics, and the record handed to the writer.
struct Settle {
    writer: UsageWriter,
    admission: Option<Admission>,
    pricing: Option<Pricing>,
    series: Option<Arc<ModelSeries>>,
}

impl Settle {
    fn record(self, mut record: UsageRecord) {
        let prompt = record.prompt_tokens.max(0) as u64;
        let completion = record.completion_tokens.max(0) as u64;
        let micros = crate::admit::cost_micros(self.pricing.as_ref(), prompt, completion);
        record.cost_usd = micros as f64 / 1e6;
        if let Some(admission) = self.admission {
            admission.settle(record.total_tokens.max(0) as u64, micros);
        }
        if let Some(series) = self.series {
            series.prompt_tokens.increment(prompt);
            series.completion_tokens.increment(completion);
        }
        self.writer.record(record);
    }
}

/// What an estimate needs, moved to the blocking pool.
struct Estimate {
    body: bytes::Bytes,
    text: String,
    overflow_chars: usize,
    reported: Option<Usage>,
}

impl Estimate {
    fn apply(self, mut record: UsageRecord) -> UsageRecord {
        let completion = || estimate::tokens(&self.text) + self.overflow_chars.div_ceil(4) as i64;
        let prompt = || estimate::prompt_tokens_of_body(&self.body);
        match self.reported {
            Some(usage) => {
                record.prompt_tokens = usage.prompt_tokens.unwrap_or_else(prompt);
                record.completion_tokens = usage.completion_tokens.unwrap_or_else(completion);
            }
            None => {
                record.prompt_tokens = prompt();
                record.completion_tokens = completion();
            }
        }
        record.total_tokens = record.prompt_tokens + record.completion_tokens;
        record.estimated = true;
        record
    }
}

impl Drop for Accounting {
    fn drop(&mut self) {
        self.write(CLIENT_CLOSED, true);
    }
}
