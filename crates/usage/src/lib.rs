//! Usage accounting: one record per `/v1` request, written in batches off the request path
//! by a pipeline that cannot lose a record (journal, replay, dead letters), and the per-user
//! summaries the dashboard shows.

mod admin;
mod journal;
mod pipeline;
mod query;
mod record;
mod store;
mod summary;
mod writer;

pub use admin::{admin_report, AdminUsageReport, Share};
pub use query::{UsageQuery, UsageQueryError, MAX_RANGE_DAYS};
pub use record::UsageRecord;
pub use summary::{UsageReport, UsageService, UsageSummaries, UsageTotals};
pub use writer::{UsageWriter, UsageWriterSettings, UsageWriterState};
