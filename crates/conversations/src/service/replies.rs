//! Sending, regenerating and cancelling replies.

use std::{sync::Arc, time::Duration};

use studio_chat::ChatProxy;
use studio_core::{ids::new_id, time::now};

use super::{validate, Conversations, EventStream, Result, ABANDONED_AFTER};
use crate::{
    context::{self, Turn},
    follow::{self, Follow, Source},
    frames,
    generate::{self, Job},
    rows::{MessageRow, SessionRow, CANCELLED, COMPLETE, ERROR, STREAMING},
    store::Streaming,
    title, tree, ConversationError, Message, NewMessage, PendingReply,
};

impl Conversations {
    /// Stores `user` (if any) and a new streaming reply under `parent`, with the request for it.
    async fn prepare(
        &self,
        session: SessionRow,
        messages: &[MessageRow],
        parent: Option<&str>,
        user: Option<(String, String)>,
        model_id: String,
        extra: Option<serde_json::Value>,
    ) -> Result<PendingReply> {
        let model = self.chat_model(&model_id)?;
        let mut params = session.params_json();
        params.extend(validate::params(extra)?);
        let mut turns: Vec<Turn> = tree::branch(messages, parent)
            .into_iter()
            .filter(|m| !m.content.is_empty() && (m.role == "user" || m.role == "assistant"))
            .map(|m| Turn {
                role: m.role.clone(),
                content: m.content.clone(),
            })
            .collect();
        if let Some((_, content)) = &user {
            turns.push(Turn {
                role: "user".into(),
                content: content.clone(),
            });
        }
        let system = session.system_prompt.clone();
        let (body, prompt_estimate) = tokio::task::spawn_blocking(move || {
            context::build(&model, system.as_deref(), &params, &turns)
        })
        .await
        .map_err(|_| {
            ConversationError::invalid("content", "the conversation could not be prepared")
        })?;
        let at = now();
        let mut rows = Vec::new();
        let mut parent = parent.map(str::to_owned);
        let user_message_id = user.as_ref().map(|(id, _)| id.clone());
        if let Some((id, content)) = user {
            rows.push(row(
                &session.id,
                parent.take(),
                "user",
                content,
                None,
                COMPLETE,
                at,
            ));
            parent = Some(id.clone());
            rows[0].id = id;
        }
        let mut reply = row(
            &session.id,
            parent,
            "assistant",
            String::new(),
            Some(model_id.clone()),
            STREAMING,
            at,
        );
        reply.owner = Some(self.instance.clone());
        let message_id = reply.id.clone();
        rows.push(reply);
        self.store.append(&session.id, &rows, at).await?;
        if session.title.is_empty() {
            if let Some(first) = rows.iter().find(|r| r.role == "user") {
                let mut titled = session.clone();
                titled.title = title::from_message(&first.content);
                titled.current_leaf_id = Some(message_id.clone());
                titled.updated_at = at;
                self.store.update_session(&titled).await?;
            }
        }
        Ok(PendingReply {
            user_id: session.user_id,
            session_id: session.id,
            user_message_id,
            message_id,
            model: model_id,
            body,
            prompt_estimate,
        })
    }

    pub(super) async fn send_message(
        &self,
        user_id: &str,
        id: &str,
        new: NewMessage,
    ) -> Result<PendingReply> {
        let session = self.session(user_id, id).await?;
        if session.archived {
            return Err(ConversationError::Archived);
        }
        if new.content.trim().is_empty() {
            return Err(ConversationError::invalid(
                "content",
                "content must not be empty",
            ));
        }
        let messages = self.store.messages(id).await?;
        let parent = match new.parent_id {
            Some(parent) if !messages.iter().any(|m| m.id == parent) => {
                return Err(ConversationError::invalid(
                    "parentId",
                    "not a message of this session",
                ))
            }
            Some(parent) => Some(parent),
            None => session.current_leaf_id.clone(),
        };
        let model = new.model.unwrap_or_else(|| session.model.clone());
        let user = Some((new_id(), new.content));
        self.prepare(
            session,
            &messages,
            parent.as_deref(),
            user,
            model,
            new.params,
        )
        .await
    }

    pub(super) async fn regenerate_reply(
        &self,
        user_id: &str,
        id: &str,
        message_id: &str,
    ) -> Result<PendingReply> {
        let session = self.session(user_id, id).await?;
        if session.archived {
            return Err(ConversationError::Archived);
        }
        let messages = self.store.messages(id).await?;
        let message = messages
            .iter()
            .find(|m| m.id == message_id)
            .ok_or(ConversationError::NotFound("message"))?;
        if message.role != "assistant" {
            return Err(ConversationError::invalid(
                "messageId",
                "only a reply can be regenerated",
            ));
        }
        let parent = message.parent_id.clone();
        let model = message
            .model
            .clone()
            .unwrap_or_else(|| session.model.clone());
        self.prepare(session, &messages, parent.as_deref(), None, model, None)
            .await
    }

    pub(super) async fn cancel_reply(
        &self,
        user_id: &str,
        id: &str,
        message_id: &str,
    ) -> Result<Message> {
        self.session(user_id, id).await?;
        let message = self.message(id, message_id).await?;
        if message.status == STREAMING {
            match self.live.get(message_id) {
                Some(reply) => {
                    let mut progress = reply.progress.subscribe();
                    reply.cancel.notify_one();
                    // The task stores the reply as it stops; answer with what it stored.
                    let stopped = progress.wait_for(|p| p.status != STREAMING);
                    let _ = tokio::time::timeout(Duration::from_secs(2), stopped).await;
                }
                // Another instance generates it: it sees this at its next checkpoint and adds
                // the text it had by then; answer with that text when it comes in time.
                None => {
                    self.store
                        .end_streaming(Streaming::Message(message_id), CANCELLED, None, now())
                        .await?;
                    let owner_finished = async {
                        while self
                            .message(id, message_id)
                            .await?
                            .completion_tokens
                            .is_none()
                        {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Ok::<_, ConversationError>(())
                    };
                    let _ = tokio::time::timeout(Duration::from_secs(2), owner_finished).await;
                }
            }
        }
        Ok(self.message(id, message_id).await?.into())
    }

    pub(super) fn start_reply(&self, proxy: Arc<ChatProxy>, pending: PendingReply) -> EventStream {
        let reply = self.live.insert(&pending.message_id, &pending.session_id);
        let first = frames::message_event(
            &pending.session_id,
            pending.user_message_id.as_deref(),
            &pending.message_id,
        );
        let follow = Follow {
            source: Source::Live(reply.progress.subscribe()),
            ..self.follow_fields(&pending.session_id, &pending.message_id, &pending.model, 0)
        };
        let job = Job {
            store: self.store.clone(),
            live: self.live.clone(),
            reply,
            proxy,
            pending,
            checkpoint_every: self.settings.checkpoint_every,
            checkpoint_chunks: self.settings.checkpoint_chunks.max(1),
        };
        tokio::task::spawn_local(generate::run(job));
        follow::prefixed(first, follow::stream(follow))
    }

    pub(super) async fn fail_abandoned_replies(&self) -> Result<usize> {
        let at = now();
        let cutoff = at - chrono::Duration::from_std(ABANDONED_AFTER).unwrap_or_default();
        let error = "the server stopped while generating this reply";
        let which = Streaming::CheckpointedBefore(cutoff);
        Ok(self
            .store
            .end_streaming(which, ERROR, Some(error), at)
            .await?)
    }
}

fn row(
    session_id: &str,
    parent_id: Option<String>,
    role: &str,
    content: String,
    model: Option<String>,
    status: &str,
    at: chrono::NaiveDateTime,
) -> MessageRow {
    MessageRow {
        id: new_id(),
        session_id: session_id.to_owned(),
        parent_id,
        role: role.to_owned(),
        content,
        model,
        status: status.to_owned(),
        error: None,
        prompt_tokens: None,
        completion_tokens: None,
        estimated: false,
        owner: None,
        checkpointed_at: Some(at),
        created_at: at,
        completed_at: (status != STREAMING).then_some(at),
    }
}
