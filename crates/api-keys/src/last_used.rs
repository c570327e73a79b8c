//! `lastUsedAt`, written in batches by a background task instead of once per request.

use std::{collections::HashMap, sync::Arc, sync::Mutex, time::Duration};

use chrono::NaiveDateTime;

use crate::store::Store;

#[derive(Default)]
pub struct LastUsed {
    pending: Mutex<HashMap<String, NaiveDateTime>>,
}

impl LastUsed {
    pub fn record(&self, key_id: &str, at: NaiveDateTime) {
        if let Ok(mut pending) = self.pending.lock() {
            match pending.get_mut(key_id) {
                Some(time) => *time = at,
                None => {
                    pending.insert(key_id.to_owned(), at);
                }
            }
        }
    }

    /// Writes what has accumulated; on failure the entries are kept for the next round.
    pub async fn flush(&self, store: &Store) {
        let batch: Vec<(String, NaiveDateTime)> = match self.pending.lock() {
            Ok(mut pending) => pending.drain().collect(),
            Err(_) => return,
        };
        if batch.is_empty() {
            return;
        }
        if let Err(error) = store.touch(&batch).await {
            tracing::warn!(%error, "writing API key lastUsedAt failed; will retry");
            if let Ok(mut pending) = self.pending.lock() {
                for (id, at) in batch {
                    pending.entry(id).or_insert(at);
                }
            }
        }
    }

    pub fn spawn_flusher(
        self: &Arc<Self>,
        store: Arc<Store>,
        every: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            loop {
                ticker.tick().await;
                this.flush(&store).await;
            }
        })
    }
}
