//! The `stream: true` answer: OpenAI chat completion chunks as server-sent events.
//!
//! Pull-based: actix polls the body, the body produces the next event (sleeping for the token
//! delay first), so nothing runs for a client that stopped reading and dropping the body ends
//! the work. Each chunk is one allocation: a prefix rendered once per stream, the token
//! escaped in place, a fixed suffix.

use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use futures_util::stream;

use crate::chat::pause;
use crate::reply::Reply;
use crate::sse::{Chunks, DONE, MALFORMED};
use crate::stats::{Stats, StreamGuard};

/// What shapes one stream besides the reply itself.
pub(crate) struct StreamPlan<'a> {
    pub id: &'a str,
    pub created: u64,
    pub model: &'a str,
    /// The client asked for a usage chunk and `usage=false` did not forbid it.
    pub include_usage: bool,
    pub ttft: Duration,
    pub delay: Duration,
    pub cut: Option<usize>,
    pub malformed: Option<usize>,
    pub silence: Option<usize>,
    pub multiline: bool,
    pub nodone: bool,
    pub tools: bool,
}

/// The error that ends a body on purpose (`cut=`): actix then drops the connection without
/// the final chunk, so the client sees a stream cut mid-way.
#[derive(Debug)]
struct Cut;

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stream cut by the `cut` model option")
    }
}

impl std::error::Error for Cut {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Role,
    /// Content token `n` next; at `n == count` the finish chunk instead.
    Token(usize),
    Usage,
    Done,
    End,
}

struct Sse {
    reply: Reply,
    chunks: Chunks,
    include_usage: bool,
    ttft: Duration,
    delay: Duration,
    /// Both clamped to the token count, so they fire even when larger.
    cut: Option<usize>,
    malformed: Option<usize>,
    silence: Option<usize>,
    multiline: bool,
    nodone: bool,
    tools: bool,
    /// Events sent, for the `id:` field of `multiline`.
    sent: u64,
    step: Step,
    guard: StreamGuard,
}

pub(crate) fn response(plan: StreamPlan<'_>, reply: Reply, stats: Stats) -> HttpResponse {
    let count = reply.token_count();
    let sse = Sse {
        chunks: Chunks::new(plan.id, plan.created, plan.model, plan.include_usage),
        include_usage: plan.include_usage,
        ttft: plan.ttft,
        delay: plan.delay,
        cut: plan.cut.map(|n| n.min(count)),
        malformed: plan.malformed.map(|n| n.min(count)),
        silence: plan.silence.map(|n| n.min(count)),
        multiline: plan.multiline,
        nodone: plan.nodone,
        tools: plan.tools,
        sent: 0,
        step: Step::Role,
        guard: StreamGuard::start(stats),
        reply,
    };
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .streaming(stream::unfold(sse, Sse::next_event))
}

impl Sse {
    async fn next_event(mut self) -> Option<(Result<Bytes, Cut>, Self)> {
        let event = self.produce().await?;
        match event {
            Ok(event) if self.multiline => {
                self.sent += 1;
                let event = spread_over_lines(&event, self.sent);
                Some((Ok(event), self))
            }
            event => Some((event, self)),
        }
    }

    async fn produce(&mut self) -> Option<Result<Bytes, Cut>> {
        let event = match self.step {
            Step::Role => {
                self.step = Step::Token(0);
                self.chunks.role()
            }
            Step::Token(index) => {
                if self.malformed == Some(index) {
                    self.malformed = None;
                    return Some(Ok(Bytes::from_static(MALFORMED)));
                }
                if self.silence == Some(index) {
                    // Hang with the connection open until the client gives up.
                    std::future::pending::<()>().await;
                }
                if self.cut == Some(index) {
                    // actix drops its unwritten buffer when the body fails: give it one
                    // turn to flush the chunks already produced, so the cut is mid-stream.
                    tokio::task::yield_now().await;
                    self.step = Step::End;
                    self.guard.cut();
                    return Some(Err(Cut));
                }
                if index == self.reply.token_count() {
                    self.step = Step::Usage;
                    self.chunks.finish(self.reply.finish_reason)
                } else {
                    pause(Some(if index == 0 { self.ttft } else { self.delay })).await;
                    self.step = Step::Token(index + 1);
                    self.guard.token();
                    if self.tools {
                        self.chunks
                            .tool_arguments(index == 0, self.reply.word(index))
                    } else {
                        self.chunks.token(index > 0, self.reply.word(index))
                    }
                }
            }
            Step::Usage if self.include_usage => {
                self.step = Step::Done;
                self.guard
                    .stats()
                    .count_usage_reported(self.reply.usage.total_tokens);
                let mut usage = Vec::with_capacity(96);
                // Serialising four integers into a Vec cannot fail; an empty object if it did.
                if serde_json::to_writer(&mut usage, &self.reply.usage).is_err() {
                    usage = b"{}".to_vec();
                }
                self.chunks.usage(&usage)
            }
            Step::Usage | Step::Done => {
                self.step = Step::End;
                self.guard.complete();
                if self.nodone {
                    return None;
                }
                Bytes::from_static(DONE)
            }
            Step::End => return None,
        };
        Some(Ok(event))
    }
}

/// `data: {"a":1,"b":2}\n\n` → `id: n\ndata: {"a":1,\ndata: "b":2}\n\n`: the same JSON (a
/// newline is whitespace between its tokens), split where a client that reads only the first
/// `data:` line, or forwards the second unprefixed, breaks.
fn spread_over_lines(event: &Bytes, id: u64) -> Bytes {
    let Some(json) = event
        .strip_prefix(b"data: ")
        .and_then(|rest| rest.strip_suffix(b"\n\n"))
        .filter(|json| json.starts_with(b"{"))
    else {
        return event.clone();
    };
    let split = json
        .iter()
        .position(|&b| b == b',')
        .map_or(json.len(), |i| i + 1);
    let mut out = Vec::with_capacity(event.len() + 24);
    out.extend_from_slice(format!("id: {id}\ndata: ").as_bytes());
    out.extend_from_slice(&json[..split]);
    out.extend_from_slice(b"\ndata: ");
    out.extend_from_slice(&json[split..]);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}
