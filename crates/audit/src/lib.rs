//! The audit log: an append-only record of security-relevant events (who did what to whom,
//! from where), written in batches off the request path and read by operators and, for their
//! own events, by users. The janitor in `studio-auth` deletes events past their retention.

mod event;
mod store;
mod writer;

pub use event::{AuditEvent, AuditFilter, Outcome};
pub use store::AuditStore;
pub use writer::AuditLog;
