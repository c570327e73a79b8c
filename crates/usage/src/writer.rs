//! The background batch writer: requests hand records to a bounded channel and never wait
//! for the database; a task writes them in one insert per interval (or per full batch).

use std::time::Duration;

use studio_core::DbPool;
use tokio::sync::{mpsc, oneshot};

use crate::{store, UsageRecord};

const CHANNEL_CAPACITY: usize = 65_536;
const MAX_BATCH: usize = 1_000;

// Records are nearly every message; boxing them would cost an allocation per request.
#[allow(clippy::large_enum_variant)]
enum Message {
    Record(UsageRecord),
    Flush(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct UsageWriter {
    sender: mpsc::Sender<Message>,
}

impl UsageWriter {
    /// Starts the writer task; a crash loses at most one `interval` of records.
    pub fn start(pool: DbPool, interval: Duration) -> Self {
        let (sender, receiver) = mpsc::channel(CHANNEL_CAPACITY);
        tokio::spawn(run(pool, receiver, interval));
        Self { sender }
    }

    /// Queues a record without waiting. If the queue is full the database is far behind;
    /// the record is dropped with a warning rather than slowing every request down.
    pub fn record(&self, record: UsageRecord) {
        if let Err(error) = self.sender.try_send(Message::Record(record)) {
            tracing::warn!(%error, "usage queue full or closed; a usage record was dropped");
        }
    }

    /// Writes everything queued so far and waits for it (graceful shutdown, tests).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.sender.send(Message::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

/// Drains the queue on each tick rather than waking for every record: a busy gateway sends
/// thousands of records a second, and a wake-up per record costs more than the insert.
async fn run(pool: DbPool, mut receiver: mpsc::Receiver<Message>, interval: Duration) {
    let mut batch: Vec<UsageRecord> = Vec::new();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let mut waiting = Vec::new();
        let mut closed = false;
        loop {
            match receiver.try_recv() {
                Ok(Message::Record(record)) => {
                    batch.push(record);
                    if batch.len() >= MAX_BATCH {
                        write(&pool, &mut batch).await;
                    }
                }
                Ok(Message::Flush(done)) => waiting.push(done),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    closed = true;
                    break;
                }
            }
        }
        write(&pool, &mut batch).await;
        for done in waiting {
            let _ = done.send(());
        }
        if closed {
            return;
        }
    }
}

async fn write(pool: &DbPool, batch: &mut Vec<UsageRecord>) {
    if batch.is_empty() {
        return;
    }
    match store::insert_batch(pool, batch).await {
        Ok(()) => batch.clear(),
        Err(error) => {
            tracing::error!(%error, records = batch.len(), "writing usage records failed; retrying next interval");
            // Keep them for the next round, but never grow without bound.
            if batch.len() > CHANNEL_CAPACITY {
                batch.drain(..batch.len() - CHANNEL_CAPACITY);
            }
        }
    }
}
