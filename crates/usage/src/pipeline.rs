//! The writer task: queue → database, or → journal while the database cannot take records,
//! then journal → database, in order, once it can. A row that fails for a reason of its own
//! (a constraint) goes to the dead-letter file and never blocks the rows behind it.
//!
//! One log line per failure episode (when it starts, and when it ends with the counts), never
//! one per record.

use std::{
    path::Path,
    sync::{atomic::Ordering, Arc},
    time::{Duration, Instant},
};

use studio_core::{DbError, DbPool};
use tokio::sync::mpsc;

use crate::{
    journal::{DeadLetters, Journal},
    store,
    writer::{Message, Shared, UsageWriterSettings},
    UsageRecord,
};

/// Records per database transaction.
const ROWS_PER_TRANSACTION: usize = 5_000;
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(15);

/// Opens the configured journal and adopts the journals of this process's own that other
/// processes left beside it. If another live instance holds the journal (two instances
/// sharing a data directory), this one writes `<name>.<pid>.jsonl` beside it, which
/// whichever instance next starts with the main journal adopts.
pub(crate) fn open_journal(path: &Path) -> Option<Journal> {
    let error = match Journal::open(path) {
        Ok(mut journal) => {
            for orphan in orphans(path) {
                if let Err(error) = journal.adopt(&orphan) {
                    tracing::debug!(%error, journal = %orphan.display(), "journal not adopted");
                }
            }
            return Some(journal);
        }
        Err(error) => error,
    };
    let own = path.with_extension(format!("{}.jsonl", std::process::id()));
    match Journal::open(&own) {
        Ok(journal) => {
            tracing::warn!(%error, journal = %own.display(), "using a journal of this process's own");
            Some(journal)
        }
        Err(error) => {
            tracing::error!(%error, journal = %path.display(), "the usage journal cannot be opened");
            None
        }
    }
}

/// `<stem>.<pid>.jsonl` files beside the journal.
fn orphans(path: &Path) -> Vec<std::path::PathBuf> {
    let (Some(dir), Some(stem)) = (path.parent(), path.file_stem().and_then(|s| s.to_str())) else {
        return Vec::new();
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!("{stem}.");
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|name| {
                name.strip_prefix(&prefix)
                    .and_then(|rest| rest.strip_suffix(".jsonl"))
                    .is_some_and(|pid| pid.parse::<u32>().is_ok())
            })
        })
        .collect()
}

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
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        closed = true;
                        break;
                    }
                }
            }
            self.deliver(batch).await;
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

    fn journaled(&self) -> u64 {
        self.shared.journaled.load(Ordering::Relaxed)
    }

    /// Journals the batch; if even that fails, keeps it in memory (bounded by the queue size)
    /// for the next turn, and counts what does not fit as lost.
    async fn journal(&mut self, batch: Vec<UsageRecord>) {
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
    async fn with_journal<T: Send + 'static>(
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

    async fn count_journal(&mut self) {
        if let Some(lines) = self.with_journal(|journal| journal.count_lines()).await {
            self.shared.journaled.store(lines, Ordering::Relaxed);
        }
    }

    /// Journal → database, a chunk at a time, from where the last replay stopped.
    async fn replay(&mut self) {
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

    /// Stores the records; `Err` only for a failure of the database itself (try again later).
    async fn write(&mut self, records: &[UsageRecord]) -> Result<(), DbError> {
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

    async fn dead_letter(&self, reason: &str, record: Option<&UsageRecord>, line: Option<&str>) {
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

    fn failed(&mut self, error: &DbError) {
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

    fn recovered(&mut self, replayed: u64) {
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
