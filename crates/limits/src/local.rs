//! The in-process store: exact for one instance, bounded in memory (entries idle past their
//! window are evicted).

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::{LimitStore, StoreError, Window};

enum Entry {
    Window(VecDeque<(u64, i64)>),
    Leases(HashMap<String, u64>),
    Counter(i64),
}

pub struct LocalStore {
    entries: moka::sync::Cache<String, Arc<Mutex<Entry>>>,
}

impl Default for LocalStore {
    fn default() -> Self {
        Self {
            entries: moka::sync::Cache::builder()
                .max_capacity(1_000_000)
                // Longer than any window but a month's budget, whose counter is re-seeded
                // from the database if evicted.
                .time_to_idle(Duration::from_secs(3_600))
                .build(),
        }
    }
}

impl LocalStore {
    fn entry(&self, key: &str, make: impl FnOnce() -> Entry) -> Arc<Mutex<Entry>> {
        self.entries
            .get_with(key.to_owned(), || Arc::new(Mutex::new(make())))
    }

    fn poisoned() -> StoreError {
        StoreError("in-process limiter lock poisoned".into())
    }
}

#[async_trait::async_trait]
impl LimitStore for LocalStore {
    async fn take(
        &self,
        key: &str,
        limit: u64,
        amount: u64,
        window: Duration,
        now: u64,
    ) -> Result<Window, StoreError> {
        let entry = self.entry(key, || Entry::Window(VecDeque::new()));
        let mut entry = entry.lock().map_err(|_| Self::poisoned())?;
        let Entry::Window(uses) = &mut *entry else {
            return Err(StoreError(format!("{key} is not a window")));
        };
        let secs = window.as_secs().max(1);
        while uses.front().is_some_and(|(at, _)| *at + secs <= now) {
            uses.pop_front();
        }
        let used = uses.iter().map(|(_, n)| *n).sum::<i64>().max(0) as u64;
        let reset_secs = uses.front().map_or(secs, |(at, _)| at + secs - now);
        if used + amount > limit {
            return Ok(Window {
                allowed: false,
                used,
                reset_secs,
                at: now,
            });
        }
        match uses.back_mut() {
            Some((at, n)) if *at == now => *n += amount as i64,
            _ => uses.push_back((now, amount as i64)),
        }
        Ok(Window {
            allowed: true,
            used: used + amount,
            reset_secs,
            at: now,
        })
    }

    async fn adjust(
        &self,
        key: &str,
        at: u64,
        delta: i64,
        _window: Duration,
    ) -> Result<(), StoreError> {
        let Some(entry) = self.entries.get(key) else {
            return Ok(());
        };
        let mut entry = entry.lock().map_err(|_| Self::poisoned())?;
        if let Entry::Window(uses) = &mut *entry {
            if let Some((_, n)) = uses.iter_mut().find(|(t, _)| *t == at) {
                *n += delta;
            }
        }
        Ok(())
    }

    async fn lease(
        &self,
        key: &str,
        limit: u64,
        ttl: Duration,
        now: u64,
    ) -> Result<Option<String>, StoreError> {
        let entry = self.entry(key, || Entry::Leases(HashMap::new()));
        let mut entry = entry.lock().map_err(|_| Self::poisoned())?;
        let Entry::Leases(leases) = &mut *entry else {
            return Err(StoreError(format!("{key} is not a lease set")));
        };
        leases.retain(|_, expires| *expires > now);
        if leases.len() as u64 >= limit {
            return Ok(None);
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        leases.insert(id.clone(), now + ttl.as_secs());
        Ok(Some(id))
    }

    async fn release(&self, key: &str, lease: &str) -> Result<(), StoreError> {
        if let Some(entry) = self.entries.get(key) {
            let mut entry = entry.lock().map_err(|_| Self::poisoned())?;
            if let Entry::Leases(leases) = &mut *entry {
                leases.remove(lease);
            }
        }
        Ok(())
    }

    async fn count(
        &self,
        key: &str,
        limit: u64,
        amount: u64,
        seed: u64,
        _ttl: Duration,
    ) -> Result<(bool, u64), StoreError> {
        let entry = self.entry(key, || Entry::Counter(seed as i64));
        let mut entry = entry.lock().map_err(|_| Self::poisoned())?;
        let Entry::Counter(value) = &mut *entry else {
            return Err(StoreError(format!("{key} is not a counter")));
        };
        let used = (*value).max(0) as u64;
        if used + amount > limit {
            return Ok((false, used));
        }
        *value += amount as i64;
        Ok((true, used + amount))
    }

    async fn count_adjust(&self, key: &str, delta: i64) -> Result<(), StoreError> {
        if let Some(entry) = self.entries.get(key) {
            let mut entry = entry.lock().map_err(|_| Self::poisoned())?;
            if let Entry::Counter(value) = &mut *entry {
                *value += delta;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn a_window_admits_exactly_its_limit_and_frees_room_as_time_passes() {
        let store = LocalStore::default();
        let mut allowed = 0;
        for second in 0..30 {
            for _ in 0..10 {
                allowed += u32::from(
                    store
                        .take("k", 100, 1, MINUTE, second)
                        .await
                        .unwrap()
                        .allowed,
                );
            }
        }
        assert_eq!(allowed, 100);
        // The first second's uses leave the window at second 60: room for 10 more.
        let later = store.take("k", 100, 10, MINUTE, 60).await.unwrap();
        assert!(later.allowed, "{later:?}");
        let refused = store.take("k", 100, 1, MINUTE, 60).await.unwrap();
        assert!(!refused.allowed && refused.reset_secs >= 1);
        // Giving back part of a reservation makes room at once.
        store.adjust("k", 60, -5, MINUTE).await.unwrap();
        assert!(store.take("k", 100, 5, MINUTE, 60).await.unwrap().allowed);
    }

    #[tokio::test]
    async fn leases_and_counters_hold_their_limits() {
        let store = LocalStore::default();
        let first = store.lease("s", 2, MINUTE, 0).await.unwrap().unwrap();
        assert!(store.lease("s", 2, MINUTE, 0).await.unwrap().is_some());
        assert!(store.lease("s", 2, MINUTE, 0).await.unwrap().is_none());
        store.release("s", &first).await.unwrap();
        assert!(store.lease("s", 2, MINUTE, 0).await.unwrap().is_some());
        // Expired leases (a process that died holding them) free their slots.
        assert!(store.lease("s", 2, MINUTE, 61).await.unwrap().is_some());

        assert_eq!(
            store.count("b", 100, 30, 50, MINUTE).await.unwrap(),
            (true, 80)
        );
        assert_eq!(
            store.count("b", 100, 30, 50, MINUTE).await.unwrap(),
            (false, 80)
        );
        store.count_adjust("b", -20).await.unwrap();
        assert_eq!(
            store.count("b", 100, 30, 50, MINUTE).await.unwrap(),
            (true, 90)
        );
    }
}
