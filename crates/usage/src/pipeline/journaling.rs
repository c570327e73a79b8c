//! The journal side of the pipeline: appending what the database cannot take, and replaying
//! it, in order, once it can.

use std::sync::atomic::Ordering;

use super::Pipeline;
use crate::{journal::Journal, UsageRecord};

impl Pipeline {
    /// Journals the batch; if even that fails, keeps it in memory (bounded by the queue size)
    /// for the next turn, and counts what does not fit as lost.
    pub(super) async fn journal(&mut self, batch: Vec<UsageRecord>) {
        let shared = self.shared.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let result = match shared.journal.lock() {
                Ok(mut journal) => match journal.as_mut() {
                    Some(journal) => journal.append(&batch).map_err(|e| e.to_string()),
                    None => Err("no journal could be opened".to_owned()),
                },
                Err(_) => Err("the journal lock is poisoned".to_owned()),
            };
            (batch, result)
        })
        .await;
        let (mut batch, error) = match outcome {
            Ok((batch, Ok(()))) => {
                self.shared
                    .journaled
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                self.shared.journal_writable.store(true, Ordering::Relaxed);
                return;
            }
            Ok((batch, Err(error))) => (batch, error),
            Err(error) => (Vec::new(), error.to_string()),
        };
        if self.shared.journal_writable.swap(false, Ordering::Relaxed) {
            tracing::error!(%error, "the usage journal cannot be written; holding records in memory");
        }
        let room = self.stash_limit.saturating_sub(self.stash.len());
        if batch.len() > room {
            let lost = (batch.len() - room) as u64;
            if self.shared.lost.fetch_add(lost, Ordering::Relaxed) == 0 {
                tracing::error!(
                    lost,
                    "neither the database nor the journal takes usage records: records lost"
                );
            }
            batch.truncate(room);
        }
        self.stash.append(&mut batch);
    }

    /// Runs a journal operation on the blocking pool; `None` if it failed (and says so once).
    pub(super) async fn with_journal<T: Send + 'static>(
        &self,
        operation: impl FnOnce(&mut Journal) -> std::io::Result<T> + Send + 'static,
    ) -> Option<T> {
        let shared = self.shared.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut guard = shared.journal.lock().ok()?;
            let journal = guard.as_mut()?;
            Some(operation(journal))
        })
        .await
        .ok()
        .flatten();
        let ok = matches!(result, Some(Ok(_)));
        let was_ok = self.shared.journal_writable.swap(ok, Ordering::Relaxed);
        match result {
            Some(Ok(value)) => Some(value),
            Some(Err(error)) => {
                if was_ok {
                    tracing::error!(%error, "the usage journal cannot be written");
                }
                None
            }
            None => None,
        }
    }

    pub(super) async fn count_journal(&mut self) {
        if let Some(lines) = self.with_journal(|journal| journal.count_lines()).await {
            self.shared.journaled.store(lines, Ordering::Relaxed);
        }
    }

    /// Journal → database, a chunk at a time, from where the last replay stopped.
    pub(super) async fn replay(&mut self) {
        let mut replayed = 0u64;
        loop {
            let from = self.replayed_to;
            // Reading the end and emptying the file happen under one lock, so a record the
            // request path appends meanwhile is never cleared unread.
            let Some(chunk) = self
                .with_journal(move |journal| {
                    let chunk = journal.read_from(from)?;
                    if chunk.at_end && chunk.records.is_empty() && chunk.unreadable.is_empty() {
                        journal.clear()?;
                    }
                    Ok(chunk)
                })
                .await
            else {
                return;
            };
            for line in &chunk.unreadable {
                self.dead_letter("unreadable journal line", None, Some(line))
                    .await;
            }
            if chunk.records.is_empty() && chunk.unreadable.is_empty() && chunk.at_end {
                self.replayed_to = 0;
                self.shared.journaled.store(0, Ordering::Relaxed);
                self.recovered(replayed);
                return;
            }
            if let Err(error) = self.write(&chunk.records).await {
                self.failed(&error);
                return;
            }
            replayed += chunk.records.len() as u64;
            let left = self.shared.journaled.load(Ordering::Relaxed);
            let done = (chunk.records.len() + chunk.unreadable.len()) as u64;
            self.shared
                .journaled
                .store(left.saturating_sub(done), Ordering::Relaxed);
            self.replayed_to = chunk.next_offset;
        }
    }
}
