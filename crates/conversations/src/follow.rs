//! A listener of one reply: what was generated after the client's offset, then live until the
//! end. In-process from the generating task's `watch` channel; otherwise (another instance
//! generates it, or it is finished) from the database, polling the checkpoints.

use std::{convert::Infallible, time::Duration};

use bytes::Bytes;
use futures_util::stream::{self, LocalBoxStream, StreamExt};
use tokio::{sync::watch, time::Instant};

use crate::{
    frames::{Chunk, KEEP_ALIVE},
    live::Progress,
    rows::STREAMING,
    store::Store,
};

pub(crate) enum Source {
    Live(watch::Receiver<Progress>),
    Database,
}

pub(crate) struct Follow {
    pub source: Source,
    pub store: Store,
    pub session_id: String,
    pub message_id: String,
    pub model: String,
    pub created: i64,
    pub after: usize,
    pub poll: Duration,
    pub keep_alive: Duration,
}

struct State {
    follow: Follow,
    ended: bool,
    last_sent: Instant,
}

/// What to send for `text` and `status` past `after`: new text, or the end.
fn next_frame(
    after: &mut usize,
    chunk: &Chunk<'_>,
    text: &str,
    status: &str,
    error: Option<&str>,
) -> Option<(Bytes, bool)> {
    if *after < text.len() {
        // An offset inside a character (not one Studio sent) falls back to its start.
        let mut from = *after;
        while !text.is_char_boundary(from) {
            from -= 1;
        }
        *after = text.len();
        return Some((chunk.content(&text[from..], text.len()), false));
    }
    if status != STREAMING {
        return Some((chunk.end(status, error, *after), true));
    }
    None
}

async fn step(mut state: State) -> Option<(Result<Bytes, Infallible>, State)> {
    if state.ended {
        return None;
    }
    loop {
        let Follow {
            source,
            store,
            session_id,
            message_id,
            model,
            created,
            after,
            poll,
            keep_alive,
        } = &mut state.follow;
        let chunk = Chunk {
            message_id,
            model,
            created: *created,
        };
        let frame = match source {
            Source::Live(receiver) => {
                let frame = {
                    let progress = receiver.borrow_and_update();
                    let error = progress.error.as_deref();
                    next_frame(after, &chunk, &progress.text, progress.status, error)
                };
                match frame {
                    Some(frame) => Some(frame),
                    None => match tokio::time::timeout(*keep_alive, receiver.changed()).await {
                        Err(_) => Some((Bytes::from_static(KEEP_ALIVE), false)),
                        // The task ended: its last state is in the database.
                        Ok(Err(_)) => {
                            *source = Source::Database;
                            None
                        }
                        Ok(Ok(())) => None,
                    },
                }
            }
            Source::Database => match store.message(session_id, message_id).await {
                Ok(Some(row)) => {
                    let error = row.error.as_deref();
                    match next_frame(after, &chunk, &row.content, &row.status, error) {
                        Some(frame) => Some(frame),
                        None if state.last_sent.elapsed() >= *keep_alive => {
                            Some((Bytes::from_static(KEEP_ALIVE), false))
                        }
                        None => {
                            tokio::time::sleep(*poll).await;
                            None
                        }
                    }
                }
                Ok(None) => Some((
                    chunk.end("error", Some("the message was deleted"), *after),
                    true,
                )),
                Err(error) => {
                    tracing::warn!(%error, "reading a reply's checkpoint failed");
                    tokio::time::sleep(*poll).await;
                    None
                }
            },
        };
        if let Some((bytes, ended)) = frame {
            state.ended = ended;
            state.last_sent = Instant::now();
            return Some((Ok(bytes), state));
        }
    }
}

/// The events of one reply from `follow.after` on.
pub(crate) fn stream(follow: Follow) -> LocalBoxStream<'static, Result<Bytes, Infallible>> {
    let state = State {
        follow,
        ended: false,
        last_sent: Instant::now(),
    };
    stream::unfold(state, step).boxed_local()
}

/// A stream that starts with `first`.
pub(crate) fn prefixed(
    first: Bytes,
    rest: LocalBoxStream<'static, Result<Bytes, Infallible>>,
) -> LocalBoxStream<'static, Result<Bytes, Infallible>> {
    stream::once(async move { Ok(first) })
        .chain(rest)
        .boxed_local()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk() -> Chunk<'static> {
        Chunk {
            message_id: "m",
            model: "chat",
            created: 0,
        }
    }

    #[test]
    fn offsets_send_only_new_text_and_never_split_a_character() {
        let mut after = 0;
        let (frame, ended) = next_frame(&mut after, &chunk(), "héllo", STREAMING, None).unwrap();
        assert!(!ended && after == "héllo".len());
        assert!(String::from_utf8_lossy(&frame).starts_with("id: 6\n"));
        assert!(next_frame(&mut after, &chunk(), "héllo", STREAMING, None).is_none());
        // An offset inside `é` resends the whole character.
        let mut inside = 2;
        let (frame, _) = next_frame(&mut inside, &chunk(), "héllo", STREAMING, None).unwrap();
        assert!(String::from_utf8_lossy(&frame).contains("\"content\":\"éllo\""));
        // Past the end of a finished reply: just the end.
        let mut beyond = 99;
        let (frame, ended) = next_frame(&mut beyond, &chunk(), "hi", "complete", None).unwrap();
        assert!(ended && String::from_utf8_lossy(&frame).ends_with("data: [DONE]\n\n"));
    }
}
