//! One usage record per generation, written from a drop guard so a generation whose client
//! went away (its future dropped) is still accounted, marked cancelled.
// mirrors studio-chat's usage.rs (the drop guard); to be shared

use std::time::Instant;

use studio_core::{ids::new_id, time::now};
use studio_usage::{UsageRecord, UsageWriter};

use crate::types::Caller;

/// The status recorded for requests whose client went away (nginx's convention).
const CLIENT_CLOSED: i32 = 499;

pub struct Accounting {
    writer: Option<UsageWriter>,
    record: UsageRecord,
    started: Instant,
}

impl Accounting {
    pub fn new(writer: &UsageWriter, caller: &Caller, model: &str) -> Self {
        Self {
            writer: Some(writer.clone()),
            record: UsageRecord {
                id: new_id(),
                user_id: caller.user_id.clone(),
                api_key_id: caller.api_key_id.clone(),
                kind: "image".into(),
                model: model.to_owned(),
                upstream: None,
                stream: false,
                // Images are not counted in tokens. The usage table has no column for the
                // number of images yet; it is logged with the record until it has one.
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
        }
    }

    pub fn upstream(&mut self, base_url: &str) {
        self.record.upstream = Some(base_url.to_owned());
    }

    /// The upstream's answer has arrived (the closest thing to a first byte).
    pub fn answered(&mut self) {
        if self.record.ttft_ms.is_none() {
            self.record.ttft_ms = Some(self.started.elapsed().as_millis() as i64);
        }
    }

    pub fn finish(&mut self, status: u16, images: usize, size: &str) {
        self.write(i32::from(status), false, images, size);
    }

    fn write(&mut self, status: i32, cancelled: bool, images: usize, size: &str) {
        let Some(writer) = self.writer.take() else {
            return;
        };
        let mut record = self.record.clone();
        record.latency_ms = self.started.elapsed().as_millis() as i64;
        record.status = status;
        record.cancelled = cancelled;
        record.images = images as i64;
        tracing::info!(
            usage_id = %record.id,
            model = %record.model,
            images,
            size,
            status,
            cancelled,
            latency_ms = record.latency_ms,
            "image generation"
        );
        writer.record(record);
    }
}

impl Drop for Accounting {
    fn drop(&mut self) {
        self.write(CLIENT_CLOSED, true, 0, "");
    }
}
