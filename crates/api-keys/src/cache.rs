//! The verification cache: key digest → owner (or "no such key"), bounded in size and time.

use std::time::{Duration, Instant};

use moka::{future::Cache, Expiry};

use crate::types::VerifiedKey;

/// A known key stays cached long; revocations evict it explicitly (locally at once, from
/// other instances through the poller).
const KNOWN_TTL: Duration = Duration::from_secs(600);
/// "No such key" is remembered briefly: enough to absorb a client hammering with a bad key.
const UNKNOWN_TTL: Duration = Duration::from_secs(10);

pub type Lookup = Option<VerifiedKey>;

struct ByOutcome;

impl Expiry<String, Lookup> for ByOutcome {
    fn expire_after_create(
        &self,
        _key: &String,
        value: &Lookup,
        _now: Instant,
    ) -> Option<Duration> {
        Some(if value.is_some() {
            KNOWN_TTL
        } else {
            UNKNOWN_TTL
        })
    }
}

pub fn new_cache() -> Cache<String, Lookup> {
    Cache::builder()
        .max_capacity(100_000)
        .expire_after(ByOutcome)
        .build()
}
