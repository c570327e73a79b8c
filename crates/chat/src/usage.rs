//! Accounting for one request. A drop guard: if the request ends early (the client went
//! away and the response future or stream was dropped) the record is still written, marked
//! cancelled, with what was produced so far.

use std::time::{Duration, Instant};

use serde::Deserialize;
use studio_core::{ids::new_id, time::now};
use studio_usage::{UsageRecord, UsageWriter};

use crate::{estimate, proxy::Caller};

/// The status recorded for requests whose client went away (nginx's convention).
const CLIENT_CLOSED: i32 = 499;

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Usage {
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub total_tokens: Option<i64>,
}

pub struct Accounting {
    writer: Option<UsageWriter>,
    record: UsageRecord,
    started: Instant,
    /// The request body, for a prompt estimate if the upstream reports no usage.
    request_body: bytes::Bytes,
    completion_chars: usize,
    reported: Option<Usage>,
    ttft: Option<Duration>,
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
            },
            started: Instant::now(),
            request_body,
            completion_chars: 0,
            reported: None,
            ttft: None,
        }
    }

    pub fn upstream(&mut self, base_url: &str) {
        self.record.upstream = Some(base_url.to_owned());
    }

    pub fn first_byte(&mut self) {
        if self.ttft.is_none() {
            self.ttft = Some(self.started.elapsed());
        }
    }

    pub fn completion_text(&mut self, chars: usize) {
        self.completion_chars += chars;
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
        let estimated_completion = estimate::tokens_for_chars(self.completion_chars);
        match self.reported {
            Some(usage) if usage.prompt_tokens.is_some() || usage.completion_tokens.is_some() => {
                record.prompt_tokens = usage
                    .prompt_tokens
                    .unwrap_or_else(|| estimate::prompt_tokens_of_body(&self.request_body));
                record.completion_tokens = usage.completion_tokens.unwrap_or(estimated_completion);
                record.total_tokens = usage
                    .total_tokens
                    .unwrap_or(record.prompt_tokens + record.completion_tokens);
            }
            // Nothing produced and no upstream reached: nothing was used.
            _ if record.upstream.is_none() => {}
            _ => {
                record.prompt_tokens = estimate::prompt_tokens_of_body(&self.request_body);
                record.completion_tokens = estimated_completion;
                record.total_tokens = record.prompt_tokens + record.completion_tokens;
                record.estimated = true;
            }
        }
        record.ttft_ms = self.ttft.map(|d| d.as_millis() as i64);
        record.latency_ms = self.started.elapsed().as_millis() as i64;
        record.status = status;
        record.cancelled = cancelled;
        writer.record(record);
    }
}

impl Drop for Accounting {
    fn drop(&mut self) {
        self.write(CLIENT_CLOSED, true);
    }
}
