//! The handle requests use: hand a record over without waiting, never lose it.
//!
//! Records go to a bounded queue drained by one background task (the [`Pipeline`]) each
//! flush interval. If the queue is full, the record is appended to the journal right away
//! (a write to the page cache, fsync'd by the task at its next turn), so a burst or a slow
//! database costs disk, not records.

use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use serde::Serialize;
use studio_core::DbPool;
use tokio::sync::{mpsc, oneshot};

use crate::{journal::Journal, pipeline::Pipeline, UsageRecord};

#[derive(Debug, Clone)]
pub struct UsageWriterSettings {
    /// Records held in memory between flushes (`STUDIO_USAGE_QUEUE_SIZE`).
    pub queue_size: usize,
    /// How often the queue is written (`STUDIO_USAGE_FLUSH_MS`); a SIGKILL loses at most this.
    pub flush_interval: Duration,
    /// The journal (`STUDIO_USAGE_JOURNAL`).
    pub journal_path: PathBuf,
    /// Records that can never be stored, with the reason (`STUDIO_USAGE_DEAD_LETTER`).
    pub dead_letter_path: PathBuf,
}

/// What `/readyz` reports.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageWriterState {
    /// Records waiting in memory for the next flush.
    pub queued: u64,
    /// Records in the journal, waiting for the database.
    pub journaled: u64,
    /// Records set aside in the dead-letter file since start-up.
    pub dead_lettered: u64,
    /// Records lost because neither the database nor the journal could take them.
    pub lost: u64,
    pub database_writable: bool,
    pub journal_writable: bool,
}

/// State shared by the handle and the task.
pub(crate) struct Shared {
    pub journal: Mutex<Option<Journal>>,
    pub journaled: AtomicU64,
    pub dead_lettered: AtomicU64,
    pub lost: AtomicU64,
    pub database_writable: AtomicBool,
    pub journal_writable: AtomicBool,
    /// Set when a record was appended without fsync (queue full); the task syncs.
    pub unsynced: AtomicBool,
}

// Records are nearly every message; boxing them would cost an allocation per request.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Message {
    Record(UsageRecord),
    Flush(oneshot::Sender<()>),
    /// Flush, release the journal, stop.
    Close(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct UsageWriter {
    sender: mpsc::Sender<Message>,
    shared: Arc<Shared>,
}

impl UsageWriter {
    /// Opens the journal and starts the task; records a previous run journaled are replayed
    /// first.
    pub fn start(pool: DbPool, settings: UsageWriterSettings) -> Self {
        let (sender, receiver) = mpsc::channel(settings.queue_size.max(1));
        let journal = crate::pipeline::open_journal(&settings.journal_path);
        let shared = Arc::new(Shared {
            journal_writable: AtomicBool::new(journal.is_some()),
            journal: Mutex::new(journal),
            journaled: AtomicU64::new(0),
            dead_lettered: AtomicU64::new(0),
            lost: AtomicU64::new(0),
            database_writable: AtomicBool::new(true),
            unsynced: AtomicBool::new(false),
        });
        let pipeline = Pipeline::new(pool, shared.clone(), &settings);
        tokio::spawn(pipeline.run(receiver, settings.flush_interval));
        Self { sender, shared }
    }

    /// Queues a record without waiting; a full queue sends it to the journal instead.
    pub fn record(&self, record: UsageRecord) {
        match self.sender.try_send(Message::Record(record)) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(Message::Record(record)))
            | Err(mpsc::error::TrySendError::Closed(Message::Record(record))) => {
                self.journal_now(record)
            }
            Err(_) => {}
        }
    }

    fn journal_now(&self, record: UsageRecord) {
        let appended = match self.shared.journal.lock() {
            Ok(mut journal) => journal
                .as_mut()
                .map(|j| j.append_unsynced(std::slice::from_ref(&record))),
            Err(_) => None,
        };
        match appended {
            Some(Ok(())) => {
                self.shared.journaled.fetch_add(1, Ordering::Relaxed);
                self.shared.unsynced.store(true, Ordering::Release);
            }
            _ => {
                if self.shared.lost.fetch_add(1, Ordering::Relaxed) == 0 {
                    tracing::error!(
                        "usage queue full and journal unwritable: usage records are being lost"
                    );
                }
            }
        }
    }

    /// Writes (or journals) everything queued so far and waits for it: graceful shutdown.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.sender.send(Message::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// Graceful shutdown: writes (or journals) everything queued, then closes the journal so
    /// the next instance can take it over, and stops the task.
    pub async fn close(&self) {
        let (done, wait) = oneshot::channel();
        if self.sender.send(Message::Close(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    pub fn state(&self) -> UsageWriterState {
        let shared = &self.shared;
        UsageWriterState {
            queued: (self.sender.max_capacity() - self.sender.capacity()) as u64,
            journaled: shared.journaled.load(Ordering::Relaxed),
            dead_lettered: shared.dead_lettered.load(Ordering::Relaxed),
            lost: shared.lost.load(Ordering::Relaxed),
            database_writable: shared.database_writable.load(Ordering::Relaxed),
            journal_writable: shared.journal_writable.load(Ordering::Relaxed),
        }
    }
}
