//! The OpenAI-compatible chat completions proxy: validates what Studio must understand,
//! passes everything else through untouched, relays SSE streams event by event, retries
//! other upstreams before the first byte, and accounts usage for every request.

mod admit;
mod deadlines;
mod error;
mod estimate;
mod json_walk;
mod observe;
mod probe;
mod proxy;
mod relay;
mod request;
mod scan;
mod shape;
mod splice;
mod sse;
mod tap;
mod upstream;
mod usage;

pub use admit::{LimitPolicy, LimiterDecisions, MonthSpend};
pub use error::{ChatError, UpstreamErrorBody};
pub use estimate::tokens as estimate_tokens;
pub use proxy::{ChatProxy, ChatReply, ChatSettings};
pub use relay::RelayStream;
pub use studio_core::Caller;
pub use studio_limits::RateInfo;
pub use usage::UsageTag;
