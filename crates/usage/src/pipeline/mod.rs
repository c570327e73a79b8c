//! The writer task: queue → database, or → journal while the database cannot take records,
//! then journal → database, in order, once it can. A row that fails for a reason of its own
//! (a constraint) goes to the dead-letter file and never blocks the rows behind it.
//!
//! One log line per failure episode (when it starts, and when it ends with the counts), never
//! one per record.

use std::{
    sync::{atomic::Ordering, Arc},
    time::{Duration, Instant},
};

use studio_core::{DbError, DbPool};
use tokio::sync::mpsc;

use crate::{
    journal::DeadLetters,
    store,
    writer::{Message, Shared, UsageWriterSettings},
    UsageRecord,
};

mod journaling;
mod opening;

pub(crate) use opening::open_journal;

/// Records per database transaction.
const ROWS_PER_TRANSACTION: usize = 5_000;
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(15);

struct Outage {
    since: Instant,
    attempts: u32,
    next_try: Instant,
    backoff: Duration,
}

pub(crate) struct Pipeline {
    pool: DbPool,
    shared: Arc<Shared>,
    dead_letters: Arc<DeadLetters>,
    /// Bytes of the journal already replayed (it is emptied when all of it is stored).
    replayed_to: u64,
    outage: Option<Outage>,
    /// Records neither the database nor the journal took yet (bounded by the queue size).
    stash: Vec<UsageRecord>,
    stash_limit: usize,
}

impl Pipeline {
    pub(crate) fn new(pool: DbPool, shared: Arc<Shared>, settings: &UsageWriterSettings) -> Self {
        Self {
            pool,
            shared,
            dead_letters: Arc::new(DeadLetters::new(settings.dead_letter_path.clone())),
            replayed_to: 0,
            outage: None,
            stash: Vec::new(),
            stash_limit: settings.queue_size.max(1),
        }
    }

    /// Drains the queue on each tick rather than waking for every record: a busy gateway
    /// sends thousands a second, and a wake-up per record costs more than the insert.
    pub(crate) async fn run(mut self, mut receiver: mpsc::Receiver<Message>, interval: Duration) {
        self.count_journal().await;
        self.replay().await;
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let mut batch = std::mem::take(&mut self.stash);
            let mut waiting = Vec::new();
            let mut closed = false;
            loop {
                match receiver.try_recv() {
                    Ok(Message::Record(record)) => batch.push(record),
                    Ok(Message::Flush(done)) => waiting.push(done),
                    Ok(Message::Close(done)) => {
                        waiting.push(done);
                        closed = true;
                        break;
                    }
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        closed = true;
                        break;
                    }
                }
            }
            self.deliver(batch).await;
            if closed {
                // Release the journal (and its lock) for the next instance before saying so.
                if let Ok(mut journal) = self.shared.journal.lock() {
                    journal.take();
                }
            }
            for done in waiting {
                let _ = done.send(());
            }
            if closed {
                return;
            }
        }
    }

    async fn deliver(&mut self, batch: Vec<UsageRecord>) {
        if self.shared.unsynced.swap(false, Ordering::AcqRel) {
            self.with_journal(|journal| journal.sync()).await;
        }
        let due = self
            .outage
            .as_ref()
            .is_none_or(|o| Instant::now() >= o.next_try);
        if self.journaled() > 0 && due {
            self.replay().await;
        }
        if batch.is_empty() {
            return;
        }
        // Order is kept: while the journal holds records, new ones queue behind them.
        if self.journaled() == 0 && (self.outage.is_none() || due) {
            match self.write(&batch).await {
                Ok(()) => return self.recovered(0),
                Err(error) => self.failed(&error),
            }
        }
        self.journal(batch).await;
    }

    pub(super) fn journaled(&self) -> u64 {
        self.shared.journaled.load(Ordering::Relaxed)
    }

    /// Stores the records; `Err` only for a failure of the database itself (try again later).
    pub(super) async fn write(&mut self, records: &[UsageRecord]) -> Result<(), DbError> {
        for chunk in records.chunks(ROWS_PER_TRANSACTION) {
            match store::insert_batch(&self.pool, chunk).await {
                Ok(()) => {}
                Err(error) if self.database_down(&error).await => return Err(error),
                // The database answers but refuses this batch: find the rows at fault.
                Err(_) => self.isolate(chunk).await?,
            }
        }
        Ok(())
    }

    async fn isolate(&mut self, chunk: &[UsageRecord]) -> Result<(), DbError> {
        for record in chunk {
            match store::insert_batch(&self.pool, std::slice::from_ref(record)).await {
                Ok(()) => {}
                Err(error) if self.database_down(&error).await => return Err(error),
                Err(error) => {
                    self.dead_letter(&error.to_string(), Some(record), None)
                        .await
                }
            }
        }
        Ok(())
    }

    /// Whether an error means the database cannot take writes now (rather than this row's
    /// fault): unreachable, or (SQLite) locked by another process past the busy timeout.
    async fn database_down(&self, error: &DbError) -> bool {
        let busy = || {
            let text = error.to_string();
            text.contains("database is locked") || text.contains("database is busy")
        };
        matches!(error, DbError::Pool(_)) || busy() || self.pool.ping().await.is_err()
    }

    pub(super) async fn dead_letter(
        &self,
        reason: &str,
        record: Option<&UsageRecord>,
        line: Option<&str>,
    ) {
        let letters = self.dead_letters.clone();
        let (reason, record, line) = (reason.to_owned(), record.cloned(), line.map(str::to_owned));
        let written = tokio::task::spawn_blocking(move || {
            letters.add(&reason, record.as_ref(), line.as_deref())
        })
        .await;
        self.shared.dead_lettered.fetch_add(1, Ordering::Relaxed);
        if !matches!(written, Ok(Ok(()))) {
            tracing::error!(
                "a usage record that cannot be stored could not be dead-lettered either"
            );
        }
    }

    pub(super) fn failed(&mut self, error: &DbError) {
        self.shared
            .database_writable
            .store(false, Ordering::Relaxed);
        let now = Instant::now();
        match &mut self.outage {
            None => {
                tracing::warn!(%error, "usage records cannot be written to the database; journaling them until it answers");
                self.outage = Some(Outage {
                    since: now,
                    attempts: 1,
                    next_try: now + FIRST_BACKOFF,
                    backoff: FIRST_BACKOFF,
                });
            }
            Some(outage) => {
                outage.attempts += 1;
                outage.backoff = (outage.backoff * 2).min(MAX_BACKOFF);
                outage.next_try = now + outage.backoff;
            }
        }
    }

    pub(super) fn recovered(&mut self, replayed: u64) {
        if self.outage.is_none() && replayed == 0 {
            return;
        }
        self.shared.database_writable.store(true, Ordering::Relaxed);
        if let Some(outage) = self.outage.take() {
            tracing::info!(
                replayed,
                failed_attempts = outage.attempts,
                outage_secs = outage.since.elapsed().as_secs(),
                "the database takes usage records again; the journal is replayed"
            );
        } else if replayed > 0 {
            tracing::info!(
                replayed,
                "usage records journaled by an earlier run were stored"
            );
        }
    }
}
