//! Following a reply: live from this instance, or from the checkpoints another one writes.

use std::time::Duration;

use studio_core::time::now;

use super::{Conversations, EventStream, Result};
use crate::{
    follow::{self, Follow, Source},
    rows::MessageRow,
    ConversationError,
};

impl Conversations {
    pub(super) async fn follow_reply(
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

    pub(super) fn follow_fields(
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
