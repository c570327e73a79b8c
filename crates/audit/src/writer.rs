//! The batched writer: handlers hand events to a bounded queue and move on; one task writes
//! them a batch at a time. Much simpler than usage's pipeline (no journal): an audit event lost
//! to a crash or a long database outage is logged, not replayed.

use std::{sync::Arc, time::Duration};

use studio_core::DbPool;
use tokio::sync::{mpsc, Mutex, Notify};

use crate::{AuditEvent, AuditStore};

const QUEUE: usize = 10_000;
const BATCH: usize = 500;

#[derive(Clone)]
pub struct AuditLog {
    sender: mpsc::Sender<AuditEvent>,
    stop: Arc<Notify>,
    task: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
    store: AuditStore,
}

impl AuditLog {
    pub fn start(pool: DbPool) -> Self {
        let store = AuditStore::new(pool);
        let (sender, receiver) = mpsc::channel(QUEUE);
        let stop = Arc::new(Notify::new());
        let task = tokio::spawn(run(store.clone(), receiver, stop.clone()));
        Self {
            sender,
            stop,
            task: Arc::new(Mutex::new(Some(task))),
            store,
        }
    }

    /// Queues the event; never waits. A full queue drops it (and says so in the log).
    pub fn record(&self, event: AuditEvent) {
        if let Err(error) = self.sender.try_send(event) {
            let action = error.into_inner().action;
            tracing::error!(%action, "audit queue full: event dropped");
        }
    }

    pub fn store(&self) -> &AuditStore {
        &self.store
    }

    /// Writes what is queued and stops the writer (graceful shutdown).
    pub async fn close(&self) {
        let Some(task) = self.task.lock().await.take() else {
            return;
        };
        self.stop.notify_one();
        if tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .is_err()
        {
            tracing::error!("the audit writer did not finish in time: queued events lost");
        }
    }
}

/// Writes whatever has arrived as one batch (a burst gathers while the previous batch is
/// being written), until told to stop; then drains the queue.
async fn run(store: AuditStore, mut receiver: mpsc::Receiver<AuditEvent>, stop: Arc<Notify>) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        tokio::select! {
            received = receiver.recv_many(&mut batch, BATCH) => {
                if received == 0 {
                    return;
                }
                write(&store, &batch).await;
                batch.clear();
            }
            () = stop.notified() => {
                while let Ok(event) = receiver.try_recv() {
                    batch.push(event);
                    if batch.len() == BATCH {
                        write(&store, &batch).await;
                        batch.clear();
                    }
                }
                if !batch.is_empty() {
                    write(&store, &batch).await;
                }
                return;
            }
        }
    }
}

async fn write(store: &AuditStore, batch: &[AuditEvent]) {
    for attempt in 1..=3 {
        match store.insert(batch).await {
            Ok(()) => return,
            Err(error) if attempt < 3 => {
                tracing::warn!(%error, attempt, "writing audit events failed; retrying");
                tokio::time::sleep(Duration::from_millis(500 * attempt)).await;
            }
            Err(error) => tracing::error!(%error, events = batch.len(), "audit events lost"),
        }
    }
}
