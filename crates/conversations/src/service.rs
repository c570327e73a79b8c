//! The conversations service: sessions, their message tree, and starting and following replies.

use std::{convert::Infallible, sync::Arc, time::Duration};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::LocalBoxStream;
use studio_chat::ChatProxy;
use studio_core::{ids::new_id, time::now, DbPool};
use studio_models::{ModelCatalog, ModelKind};

use crate::{
    export::{self, Export, ExportFormat},
    generate::HEARTBEAT,
    live::Live,
    rows::{MessageRow, SessionRow, ERROR, STREAMING},
    store::{Outcome, Store, Streaming},
    tree, ConversationError, ListSessions, Message, NewMessage, NewSession, PendingReply, Session,
    SessionDetail, SessionPage, SessionPatch,
};

mod following;
mod listing;
mod replies;
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
    /// Marks this instance's unfinished replies as `error` (their tasks stop with the server).
    async fn shutdown(&self) -> Result<usize>;
}

pub struct Conversations {
    store: Store,
    catalog: Arc<dyn ModelCatalog>,
    live: Live,
    settings: ConversationSettings,
    /// Names this process on the replies it generates (`chat_messages.owner`).
    instance: String,
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
            instance: new_id(),
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
        self.send_message(user_id, id, new).await
    }

    async fn regenerate(&self, user_id: &str, id: &str, message_id: &str) -> Result<PendingReply> {
        self.regenerate_reply(user_id, id, message_id).await
    }

    async fn cancel(&self, user_id: &str, id: &str, message_id: &str) -> Result<Message> {
        self.cancel_reply(user_id, id, message_id).await
    }

    async fn follow(
        &self,
        user_id: &str,
        id: &str,
        message_id: &str,
        after: usize,
    ) -> Result<EventStream> {
        self.follow_reply(user_id, id, message_id, after).await
    }

    fn start(&self, proxy: Arc<ChatProxy>, pending: PendingReply) -> EventStream {
        self.start_reply(proxy, pending)
    }

    async fn fail_abandoned(&self) -> Result<usize> {
        self.fail_abandoned_replies().await
    }

    async fn shutdown(&self) -> Result<usize> {
        let error = "the server stopped while generating this reply";
        // The workers are gone and their tasks with them, but the text they had is here:
        // store it all, not just the last checkpoint.
        let mut stopped = 0;
        for (id, reply) in self.live.all() {
            let text = reply.progress.borrow().text.clone();
            let outcome = Outcome {
                status: ERROR,
                content: &text,
                error: Some(error),
                prompt_tokens: None,
                completion_tokens: None,
                estimated: true,
            };
            stopped += self.store.finish(&id, STREAMING, &outcome, now()).await?;
            self.live.remove(&id);
        }
        let owned = Streaming::OwnedBy(&self.instance);
        Ok(stopped
            + self
                .store
                .end_streaming(owned, ERROR, Some(error), now())
                .await?)
    }
}
