//! Revoked sign-in sessions, cached so that checking an access token costs no database
//! round trip. Revocations made here are seen at once; those made by other instances
//! sharing the database arrive through a poll every couple of seconds.

use std::{sync::Arc, time::Duration};

use moka::sync::Cache;
use studio_core::{metrics::CacheCounters, poll, Metrics};

use crate::store::Store;

#[derive(Clone)]
pub struct RevokedSessions {
    cache: Cache<String, ()>,
    /// A hit is a revoked session (its token refused).
    lookups: CacheCounters,
}

impl RevokedSessions {
    /// Entries live as long as an access token can: after that the token is expired anyway.
    pub fn new(access_lifetime_secs: i64) -> Self {
        let ttl = Duration::from_secs(access_lifetime_secs.max(60) as u64 + 60);
        Self {
            cache: Cache::builder()
                .max_capacity(1_000_000)
                .time_to_live(ttl)
                .build(),
            lookups: CacheCounters::default(),
        }
    }

    pub fn observe(&mut self, metrics: &Metrics) {
        self.lookups = metrics.cache("revoked_sessions");
    }

    pub fn insert(&self, session_id: &str) {
        self.cache.insert(session_id.to_owned(), ());
    }

    pub fn contains(&self, session_id: &str) -> bool {
        let revoked = self.cache.contains_key(session_id);
        self.lookups.lookup(revoked);
        revoked
    }

    /// Loads recent revocations, then keeps polling for new ones until the task is dropped.
    pub fn spawn_poller(
        &self,
        store: Arc<Store>,
        access_lifetime_secs: i64,
    ) -> tokio::task::JoinHandle<()> {
        let revoked = self.clone();
        poll::spawn_revocation_poller(
            "session",
            poll::since_secs_ago(access_lifetime_secs + 60),
            move |since| {
                let store = store.clone();
                async move { store.sessions_revoked_since(since).await }
            },
            move |ids| {
                ids.iter().for_each(|id| revoked.insert(id));
                std::future::ready(())
            },
        )
    }
}
