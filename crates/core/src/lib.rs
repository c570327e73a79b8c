//! The ground floor of Studio: configuration, the database pool for both
//! backends, migrations, ids and the small types every domain crate shares.

pub mod caller;
pub mod config;
pub mod db;
pub mod ids;
pub mod metrics;
pub mod page;
pub mod poll;
pub mod schema;
pub mod secrets;
pub mod time;

pub use caller::{Caller, LimitSettings};
pub use config::{Config, ConfigError, Environment};
pub use db::{DbError, DbPool};
pub use metrics::Metrics;
pub use page::{Page, PageRequest};
