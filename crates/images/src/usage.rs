//! One usage record per generation, written from a drop guard so a generation whose client
//! went away (its future dropped) is still accounted, marked cancelled.
// mirrors studio-chat's usage.rs (the drop guard); to be shared

use std::{sync::Arc, time::Instant};

use studio_core::{ids::new_id, time::now};
use studio_models::ModelSeries;
use studio_usage::{UsageRecord, UsageWriter};

use crate::types::Caller;

/// The status recorded for requests whose client went away (nginx's convention).
const CLIENT_CLOSED: i32 = 499;

pub struct Accounting {
    writer: Option<UsageWriter>,
    record: UsageRecord,
    started: Instant,
    series: Option<Arc<ModelSeries>>,
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
            series: None,
        }
    }

    pub(crate) fn observe(&mut self, series: Option<Arc<ModelSeries>>) {
        self.series = series;
    }

    /// The upstream failed before answering and the next one (if any) is tried.
    pub(crate) fn retrying(&self) {
        let upstream = self.record.upstream.as_deref().unwrap_or_default();
        if let Some(failed) = self.series.as_ref().and_then(|s| s.upstream(upstream)) {
            failed.retries.increment(1);
        }
    }

    pub fn upstream(&mut self, base_url: &str) {
        self.record.upstream = Some(base_url.to_owned());
    }

    /// The upstream's answer has arrived (the closest thing to a first byte).
    pub fn answered(&mut self) {
        if self.record.ttft_ms.is_none() {
            let elapsed = self.started.elapsed();
            self.record.ttft_ms = Some(elapsed.as_millis() as i64);
            let upstream = self.record.upstream.as_deref().unwrap_or_default();
            if let Some(series) = self.series.as_ref().and_then(|s| s.upstream(upstream)) {
                series.duration.record(elapsed.as_secs_f64());
            }
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
        if let Some(series) = self.series.as_ref().filter(|_| cancelled) {
            series.cancelled.increment(1);
        }
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
