//! The conversations service: sessions, their message tree, and starting and following replies.

use std::{convert::Infallible, sync::Arc, time::Duration};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::LocalBoxStream;
use studio_chat::ChatProxy;
use studio_core::{ids::new_id, time::now, DbPool};
use studio_models::{ModelCatalog, ModelKind};

use crate::{
    context::{self, Turn},
    export::{self, Export, ExportFormat},
    follow::{self, Follow, Source},
    frames,
    generate::{self, Job, HEARTBEAT},
    live::Live,
    rows::{MessageRow, SessionRow, CANCELLED, COMPLETE, STREAMING},
    store::Store,
    title, tree, ConversationError, ListSessions, Message, NewMessage, NewSession, PendingReply,
    Session, SessionDetail, SessionPage, SessionPatch,
};

mod listing;
mod validate;

type Result<T> = std::result::Result<T, ConversationError>;
/// The SSE body of a reply (not `Send`: it lives on the worker that serves it).
pub type EventStream = LocalBoxStream<'static, std::result::Result<Bytes, Infallible>>;

#[derive(Debug, Clone)]
pub struct ConversationSettings {
    pub checkpoint_every: Duration,
    pub checkpoint_chunks: u64,
    pub keep_alive: Duration,
}

#[async_trait]
pub trait ConversationService: Send + Sync {
    async fn list(&self, user_id: &str, query: ListSessions) -> Result<SessionPage>;
    async fn create(&self, user_id: &str, new: NewSession) -> Result<Session>;
    async fn get(&self, user_id: &str, id: &str) -> Result<SessionDetail>;
    async fn update(&self, user_id: &str, id: &str, patch: SessionPatch) -> Result<Session>;
    /// Deletes the session and its messages, cancelling replies being generated.
    async fn delete(&self, user_id: &str, id: &str) -> Result<()>;
    async fn siblings(&self, user_id: &str, id: &str, message_id: &str) -> Result<Vec<Message>>;
    async fn export(&self, user_id: &str, id: &str, format: ExportFormat) -> Result<Export>;
    /// Stores the user message and a `streaming` reply; `start` generates it.
    async fn send(&self, user_id: &str, id: &str, new: NewMessage) -> Result<PendingReply>;
    /// Stores a new `streaming` sibling of an assistant message; `start` generates it.
    async fn regenerate(&self, user_id: &str, id: &str, message_id: &str) -> Result<PendingReply>;
    /// Stops a reply being generated; its text so far is kept, `cancelled`.
    async fn cancel(&self, user_id: &str, id: &str, message_id: &str) -> Result<Message>;
    /// The events of a reply past byte `after` of its text, live until it ends.
    async fn follow(
        &self,
        user_id: &str,
        id: &str,
        message_id: &str,
        after: usize,
    ) -> Result<EventStream>;
    /// Starts generating on the calling actix worker (the proxy's HTTP client is not `Send`)
    /// and returns the reply's events. The generation does not depend on the stream being read.
    fn start(&self, proxy: Arc<ChatProxy>, reply: PendingReply) -> EventStream;
    /// Marks replies whose generating process died as `error`, keeping their text.
    async fn fail_abandoned(&self) -> Result<usize>;
}

pub struct Conversations {
    store: Store,
    catalog: Arc<dyn ModelCatalog>,
    live: Live,
    settings: ConversationSettings,
}

/// A reply not checkpointed for this long has lost its process.
pub const ABANDONED_AFTER: Duration = Duration::from_secs(6 * HEARTBEAT.as_secs());

impl Conversations {
    pub fn new(
        pool: DbPool,
        catalog: Arc<dyn ModelCatalog>,
        settings: ConversationSettings,
    ) -> Self {
        Self {
            store: Store::new(pool),
            catalog,
            live: Live::default(),
            settings,
        }
    }

    async fn session(&self, user_id: &str, id: &str) -> Result<SessionRow> {
        self.store
            .session(user_id, id)
            .await?
            .ok_or(ConversationError::NotFound("session"))
    }

    async fn message(&self, session_id: &str, id: &str) -> Result<MessageRow> {
        self.store
            .message(session_id, id)
            .await?
            .ok_or(ConversationError::NotFound("message"))
    }

    fn chat_model(&self, id: &str) -> Result<Arc<studio_models::Model>> {
        let model = self
            .catalog
            .model(id)
            .ok_or_else(|| ConversationError::UnknownModel(id.to_owned()))?;
        if model.kind != ModelKind::Chat {
            return Err(ConversationError::invalid(
                "model",
                format!("'{id}' is not a chat model"),
            ));
        }
        Ok(model)
    }

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
        let reply = row(
            &session.id,
            parent,
            "assistant",
            String::new(),
            Some(model_id.clone()),
            STREAMING,
            at,
        );
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

#[async_trait]
impl ConversationService for Conversations {
    async fn list(&self, user_id: &str, query: ListSessions) -> Result<SessionPage> {
        listing::list(&self.store, user_id, query).await
    }

    async fn create(&self, user_id: &str, new: NewSession) -> Result<Session> {
        self.chat_model(&new.model)?;
        let params = validate::params(new.params)?;
        let at = now();
        let row = SessionRow {
            id: new_id(),
            user_id: user_id.to_owned(),
            title: validate::title(new.title.as_deref().unwrap_or_default(), true)?,
            model: new.model,
            system_prompt: new.system_prompt.filter(|p| !p.trim().is_empty()),
            params: serde_json::Value::Object(params).to_string(),
            archived: false,
            pinned: false,
            current_leaf_id: None,
            created_at: at,
            updated_at: at,
        };
        self.store.insert_session(&row).await?;
        Ok(row.into())
    }

    async fn get(&self, user_id: &str, id: &str) -> Result<SessionDetail> {
        let session = self.session(user_id, id).await?;
        let messages = self.store.messages(id).await?;
        let branch = tree::branch(&messages, session.current_leaf_id.as_deref())
            .into_iter()
            .cloned()
            .map(Message::from)
            .collect();
        Ok(SessionDetail {
            session: session.into(),
            messages: branch,
        })
    }

    async fn update(&self, user_id: &str, id: &str, patch: SessionPatch) -> Result<Session> {
        let mut session = self.session(user_id, id).await?;
        if let Some(title) = patch.title {
            session.title = validate::title(&title, false)?;
        }
        if let Some(model) = patch.model {
            self.chat_model(&model)?;
            session.model = model;
        }
        if let Some(prompt) = patch.system_prompt {
            session.system_prompt = Some(prompt).filter(|p| !p.trim().is_empty());
        }
        if patch.params.is_some() {
            session.params = serde_json::Value::Object(validate::params(patch.params)?).to_string();
        }
        session.archived = patch.archived.unwrap_or(session.archived);
        session.pinned = patch.pinned.unwrap_or(session.pinned);
        if let Some(leaf) = patch.current_leaf_id {
            let messages = self.store.messages(id).await?;
            if !messages.iter().any(|m| m.id == leaf) {
                return Err(ConversationError::invalid(
                    "currentLeafId",
                    "not a message of this session",
                ));
            }
            session.current_leaf_id = Some(tree::newest_leaf(&messages, &leaf));
        }
        session.updated_at = now();
        self.store.update_session(&session).await?;
        Ok(session.into())
    }

    async fn delete(&self, user_id: &str, id: &str) -> Result<()> {
        self.session(user_id, id).await?;
        for reply in self.live.in_session(id) {
            reply.cancel.notify_one();
        }
        Ok(self.store.delete_session(id).await?)
    }

    async fn siblings(&self, user_id: &str, id: &str, message_id: &str) -> Result<Vec<Message>> {
        self.session(user_id, id).await?;
        let messages = self.store.messages(id).await?;
        let message = messages
            .iter()
            .find(|m| m.id == message_id)
            .ok_or(ConversationError::NotFound("message"))?;
        Ok(tree::siblings(&messages, message)
            .into_iter()
            .cloned()
            .map(Message::from)
            .collect())
    }

    async fn export(&self, user_id: &str, id: &str, format: ExportFormat) -> Result<Export> {
        Ok(export::render(&self.get(user_id, id).await?, format))
    }

    async fn send(&self, user_id: &str, id: &str, new: NewMessage) -> Result<PendingReply> {
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

    async fn regenerate(&self, user_id: &str, id: &str, message_id: &str) -> Result<PendingReply> {
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

    async fn cancel(&self, user_id: &str, id: &str, message_id: &str) -> Result<Message> {
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
                // Another instance generates it: it sees this at its next checkpoint.
                None => {
                    self.store
                        .end_streaming(message_id, CANCELLED, None, now())
                        .await?;
                }
            }
        }
        Ok(self.message(id, message_id).await?.into())
    }

    async fn follow(
        &self,
        user_id: &str,
        id: &str,
        message_id: &str,
        after: usize,
    ) -> Result<EventStream> {
        self.session(user_id, id).await?;
        let message = self.message(id, message_id).await?;
        if message.role != "assistant" {
            return Err(ConversationError::invalid(
                "messageId",
                "only a reply can be streamed",
            ));
        }
        let source = match self.live.get(message_id) {
            Some(reply) => Source::Live(reply.progress.subscribe()),
            None => Source::Database,
        };
        Ok(follow::stream(self.follow_of(&message, source, after)))
    }

    fn start(&self, proxy: Arc<ChatProxy>, pending: PendingReply) -> EventStream {
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

    async fn fail_abandoned(&self) -> Result<usize> {
        let at = now();
        let cutoff = at - chrono::Duration::from_std(ABANDONED_AFTER).unwrap_or_default();
        let error = "the server stopped while generating this reply";
        Ok(self.store.fail_abandoned(cutoff, error, at).await?)
    }
}

impl Conversations {
    fn follow_fields(
        &self,
        session_id: &str,
        message_id: &str,
        model: &str,
        after: usize,
    ) -> Follow {
        Follow {
            source: Source::Database,
            store: self.store.clone(),
            session_id: session_id.to_owned(),
            message_id: message_id.to_owned(),
            model: model.to_owned(),
            created: now().and_utc().timestamp(),
            after,
            poll: (self.settings.checkpoint_every / 2).max(Duration::from_millis(50)),
            keep_alive: self.settings.keep_alive,
        }
    }

    fn follow_of(&self, message: &MessageRow, source: Source, after: usize) -> Follow {
        let model = message.model.clone().unwrap_or_default();
        Follow {
            source,
            created: message.created_at.and_utc().timestamp(),
            ..self.follow_fields(&message.session_id, &message.id, &model, after)
        }
    }
}
