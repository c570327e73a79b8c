//! Usage accounting: one record per `/v1` request, written in batches off the request path,
//! and the per-user summaries the dashboard shows.

mod record;
mod store;
mod summary;
mod writer;

pub use record::UsageRecord;
pub use summary::{UsageQuery, UsageReport, UsageService, UsageSummaries, UsageTotals};
pub use writer::UsageWriter;
