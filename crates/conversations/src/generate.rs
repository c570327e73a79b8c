//! The server-side task that generates one reply through the chat proxy (the same upstream
//! path as `/v1`), independent of any HTTP connection: it publishes the text to in-process
//! listeners, checkpoints it to the database, and stores how the reply ended.

use std::{sync::Arc, time::Duration};

use futures_util::StreamExt;
use studio_chat::{ChatProxy, ChatReply, UsageTag};
use studio_core::{time::now, Caller};
use tokio::time::{Instant, MissedTickBehavior};

use crate::{
    frames::parse_relayed,
    live::{Live, LiveReply},
    rows::{CANCELLED, COMPLETE, ERROR, STREAMING},
    store::{Outcome, Store},
    PendingReply,
};

/// A reply's owner writes at least this often, even with nothing new, so other instances can
/// tell it is alive.
pub(crate) const HEARTBEAT: Duration = Duration::from_secs(5);

pub(crate) struct Job {
    pub store: Store,
    pub live: Live,
    pub reply: Arc<LiveReply>,
    pub proxy: Arc<ChatProxy>,
    pub pending: PendingReply,
    pub checkpoint_every: Duration,
    pub checkpoint_chunks: u64,
}

struct Ending {
    status: &'static str,
    error: Option<String>,
    usage: Option<(Option<i64>, Option<i64>)>,
    /// Cancelled from outside (another instance's cancel, a deleted session): the status is
    /// stored already, the text is added if the message still exists.
    external: bool,
}

impl Ending {
    fn new(status: &'static str, error: Option<String>) -> Self {
        Self {
            status,
            error,
            usage: None,
            external: false,
        }
    }
}

pub(crate) async fn run(job: Job) {
    let mut text = String::new();
    let ending = generate(&job, &mut text).await;
    let id = &job.pending.message_id;
    {
        let (prompt, completion) = ending.usage.unwrap_or_default();
        let estimated = prompt.is_none() || completion.is_none();
        let completion = match completion {
            Some(tokens) => tokens,
            None => {
                let copy = text.clone();
                tokio::task::spawn_blocking(move || studio_chat::estimate_tokens(&copy))
                    .await
                    .unwrap_or_default()
            }
        };
        let outcome = Outcome {
            status: ending.status,
            content: &text,
            error: ending.error.as_deref(),
            prompt_tokens: Some(prompt.unwrap_or(job.pending.prompt_estimate)),
            completion_tokens: Some(completion),
            estimated,
        };
        let from = if ending.external {
            CANCELLED
        } else {
            STREAMING
        };
        if let Err(error) = job.store.finish(id, from, &outcome, now()).await {
            tracing::error!(%error, message = %id, "storing a finished reply failed");
        }
    }
    job.reply.progress.send_modify(|progress| {
        progress.status = ending.status;
        progress.error = ending.error.clone();
    });
    // Listeners still attached read the last state, then the database.
    job.live.remove(id);
}

async fn generate(job: &Job, text: &mut String) -> Ending {
    let caller = Caller {
        user_id: job.pending.user_id.clone(),
        api_key_id: None,
        key_limits: Default::default(),
    };
    let tag = UsageTag {
        session_id: Some(job.pending.session_id.clone()),
        message_id: Some(job.pending.message_id.clone()),
    };
    let started = tokio::select! {
        biased;
        () = job.reply.cancel.notified() => return Ending::new(CANCELLED, None),
        started = job.proxy.complete_tagged(&caller, tag, job.pending.body.clone()) => started,
    };
    let mut relay = match started {
        Ok(ChatReply::Stream(relay, _)) => relay,
        Ok(ChatReply::Json { .. }) => {
            return Ending::new(ERROR, Some("the model did not stream".into()))
        }
        Err(error) => return Ending::new(ERROR, Some(error.to_string())),
    };
    let mut tick = tokio::time::interval(job.checkpoint_every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut unsaved_chunks = 0u64;
    let mut last_write = Instant::now();
    let mut usage = None;
    let mut ending = loop {
        let write = tokio::select! {
            biased;
            // Returning drops the relay, and with it the upstream request.
            () = job.reply.cancel.notified() => break Ending::new(CANCELLED, None),
            frame = relay.next() => {
                let Some(Ok(frame)) = frame else {
                    break Ending::new(ERROR, Some("the model's stream ended unexpectedly".into()));
                };
                // A frame may hold several events: its text comes before its end.
                let relayed = parse_relayed(&frame);
                if !relayed.content.is_empty() {
                    text.push_str(&relayed.content);
                    job.reply
                        .progress
                        .send_modify(|p| p.text.push_str(&relayed.content));
                    unsaved_chunks += 1;
                }
                if relayed.usage.is_some() {
                    usage = relayed.usage;
                }
                if let Some(error) = relayed.error {
                    break Ending::new(ERROR, Some(error));
                }
                if relayed.done {
                    break Ending::new(COMPLETE, None);
                }
                unsaved_chunks >= job.checkpoint_chunks
            }
            _ = tick.tick() => unsaved_chunks > 0 || last_write.elapsed() >= HEARTBEAT,
        };
        if write {
            match job
                .store
                .checkpoint(&job.pending.message_id, text, now())
                .await
            {
                Ok(0) => {
                    break Ending {
                        external: true,
                        ..Ending::new(CANCELLED, None)
                    }
                }
                Ok(_) => {
                    unsaved_chunks = 0;
                    last_write = Instant::now();
                }
                // The next checkpoint tries again; the final write stores everything.
                Err(error) => tracing::warn!(%error, "checkpointing a reply failed"),
            }
        }
    };
    ending.usage = usage;
    ending
}
