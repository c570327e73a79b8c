//! The chat completions service: one request in, one upstream answer (or stream) out.

use std::{borrow::Cow, sync::Arc, time::Duration};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::value::RawValue;
use studio_core::Caller;
use studio_core::Metrics;
use studio_models::{CatalogSeries, ModelCatalog, ModelKind, Upstream};
use studio_usage::UsageWriter;
use tokio::time::Instant;

use studio_limits::RateInfo;

use crate::{
    admit::LimitPolicy,
    probe::ToolCallProbe,
    relay::{RelaySetup, RelayStream, MAX_EVENT_BYTES},
    request::ChatRequest,
    splice, sse,
    upstream::{self, Attempt, Clients, UpstreamResponse},
    usage::{Accounting, Usage, UsageTag},
    ChatError,
};

/// Request bodies up to this size are copied out of the buffer they were read into.
const SMALL_BODY: usize = 8 * 1024;
/// Upper bound of a non-streamed answer read from an upstream.
const MAX_REPLY_BYTES: usize = 32 * 1024 * 1024;

#[derive(Clone)]
pub struct ChatSettings {
    /// Comment sent on a stream while the upstream is silent, so idle connections stay up and
    /// a client that went away is noticed.
    pub keep_alive: Duration,
    /// Rate limits and budgets; `None`: nothing is limited.
    pub limits: Option<LimitPolicy>,
    /// Where the per-model series are registered (a no-op recorder when metrics are off).
    pub metrics: Metrics,
}

pub enum ChatReply {
    /// A complete OpenAI JSON body, byte for byte as the upstream sent it but for `model`.
    Json {
        status: u16,
        body: Bytes,
        rate: RateInfo,
    },
    /// Server-sent events, relayed as they arrive.
    Stream(Box<RelayStream>, RateInfo),
}

/// Holds `awc::Client`s, which are not `Send`: build one proxy per worker thread.
pub struct ChatProxy {
    clients: Clients,
    catalog: Arc<dyn ModelCatalog>,
    usage: UsageWriter,
    settings: ChatSettings,
    series: CatalogSeries,
}

#[derive(Deserialize)]
struct ReplyProbe<'a> {
    #[serde(borrow, default)]
    model: Option<&'a RawValue>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(borrow, default)]
    choices: Vec<ChoiceProbe<'a>>,
}

#[derive(Deserialize)]
struct ChoiceProbe<'a> {
    #[serde(borrow, default)]
    message: Option<MessageProbe<'a>>,
}

#[derive(Deserialize)]
struct MessageProbe<'a> {
    #[serde(borrow, default)]
    content: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    tool_calls: Option<Vec<ToolCallProbe<'a>>>,
}

impl ChatProxy {
    pub fn new(catalog: Arc<dyn ModelCatalog>, usage: UsageWriter, settings: ChatSettings) -> Self {
        let connect_timeouts = catalog
            .models()
            .iter()
            .flat_map(|m| m.upstreams.iter().map(|u| u.connect_timeout))
            .collect::<Vec<_>>();
        Self {
            clients: Clients::new(connect_timeouts.into_iter()),
            series: CatalogSeries::new(catalog.as_ref(), ModelKind::Chat, &settings.metrics),
            catalog,
            usage,
            settings,
        }
    }

    pub async fn complete(&self, caller: &Caller, body: Bytes) -> Result<ChatReply, ChatError> {
        self.complete_tagged(caller, UsageTag::default(), body)
            .await
    }

    /// [`complete`](Self::complete) for a request made inside Studio: its usage record also
    /// names what it answered.
    pub async fn complete_tagged(
        &self,
        caller: &Caller,
        tag: UsageTag,
        body: Bytes,
    ) -> Result<ChatReply, ChatError> {
        let started = Instant::now();
        // actix reads every body into an 8 KiB buffer; a stream keeps its body (for a prompt
        // estimate) for as long as it runs: keep only the bytes.
        let body = if body.len() <= SMALL_BODY {
            Bytes::copy_from_slice(&body)
        } else {
            body
        };
        let request = ChatRequest::parse(body, self.catalog.as_ref())?;
        // Refused requests reach no upstream and use nothing: they leave no usage record.
        let admission = match &self.settings.limits {
            Some(policy) => policy.admit(caller, &request).await?,
            None => None,
        };
        let rate = admission.as_ref().map(|a| a.rate).unwrap_or_default();
        let mut accounting = Accounting::new(
            &self.usage,
            caller,
            &request.model.id,
            request.stream,
            request.body.clone(),
        );
        accounting.limit(admission, request.model.pricing);
        accounting.tag(tag);
        let series = self.series.model(&request.model.id);
        accounting.observe(series.clone());
        let mut last_error = None;
        // Until the first byte reaches the client, connection errors, 5xx and silence move on
        // to the next upstream; anything else is the answer.
        for upstream in upstream::attempt_order(&request.model.upstreams) {
            accounting.upstream(&upstream.base_url);
            let body = request.upstream_body(&upstream.model);
            let head_deadline = started + upstream.first_token_timeout.min(upstream.timeout);
            let attempt = self
                .attempt(upstream, body, request.stream, head_deadline)
                .await;
            let (response, first) = match attempt {
                Ok(answer) => answer,
                Err(Attempt::Retry(error)) => {
                    if let Some(failed) =
                        series.as_ref().and_then(|s| s.upstream(&upstream.base_url))
                    {
                        failed.retries.increment(1);
                    }
                    last_error = Some(error);
                    continue;
                }
                Err(Attempt::Fail(error)) => return Err(failed(accounting, error)),
            };
            if request.stream {
                accounting.streaming();
                let setup = RelaySetup {
                    public_model: &request.model.id,
                    client_wants_usage: request.client_wants_usage,
                    keep_alive_every: self.settings.keep_alive,
                    upstream,
                    started,
                };
                let relay = RelayStream::new(response, first, accounting, setup);
                return Ok(ChatReply::Stream(Box::new(relay), rate));
            }
            accounting.first_byte();
            let deadline = started + upstream.timeout;
            return read_reply(response, deadline, upstream, &request, accounting)
                .await
                .map(|(status, body)| ChatReply::Json { status, body, rate });
        }
        let error =
            last_error.unwrap_or_else(|| ChatError::BadGateway("the model has no upstream".into()));
        Err(failed(accounting, error))
    }

    /// One upstream: its response head and, for a stream, its first event (so a server that
    /// answers the head and then nothing is still retried elsewhere).
    async fn attempt(
        &self,
        upstream: &Upstream,
        body: Bytes,
        stream: bool,
        head_deadline: Instant,
    ) -> Result<(UpstreamResponse, BytesMut), Attempt> {
        let mut response =
            upstream::send(&self.clients, upstream, body, stream, head_deadline).await?;
        if !response.status().is_success() {
            return Err(upstream::refusal(&mut response, upstream.first_token_timeout).await);
        }
        let mut first = BytesMut::new();
        if !stream {
            return Ok((response, first));
        }
        let broken = || {
            Attempt::Retry(ChatError::BadGateway(
                "the model's server broke off the stream".into(),
            ))
        };
        while sse::event_end(&first).is_none() {
            match tokio::time::timeout_at(head_deadline, response.next()).await {
                Err(_) => {
                    return Err(Attempt::Retry(ChatError::Timeout(format!(
                        "the model did not start answering within {} seconds",
                        upstream.first_token_timeout.min(upstream.timeout).as_secs()
                    ))))
                }
                Ok(Some(Ok(chunk))) => first.extend_from_slice(&chunk),
                // Ended before one event: the relay decides what a last unterminated event is.
                Ok(None) if !first.is_empty() => break,
                Ok(None) | Ok(Some(Err(_))) => return Err(broken()),
            }
            if first.len() > MAX_EVENT_BYTES {
                return Err(broken());
            }
        }
        Ok((response, first))
    }
}

fn failed(mut accounting: Accounting, error: ChatError) -> ChatError {
    accounting.failed(error.status());
    error
}

async fn read_reply(
    mut response: UpstreamResponse,
    deadline: Instant,
    upstream: &Upstream,
    request: &ChatRequest,
    mut accounting: Accounting,
) -> Result<(u16, Bytes), ChatError> {
    let status = response.status().as_u16();
    let read = response.body().limit(MAX_REPLY_BYTES);
    let body = match tokio::time::timeout_at(deadline, read).await {
        Ok(Ok(body)) => body,
        Ok(Err(error)) => {
            tracing::warn!(%error, "reading the upstream reply failed");
            return Err(failed(
                accounting,
                ChatError::BadGateway("the model's server sent a broken reply".into()),
            ));
        }
        Err(_) => {
            return Err(failed(
                accounting,
                ChatError::Timeout(format!(
                    "the model did not finish within {} seconds",
                    upstream.timeout.as_secs()
                )),
            ))
        }
    };
    let Ok(probe) = serde_json::from_slice::<ReplyProbe<'_>>(&body) else {
        return Err(failed(
            accounting,
            ChatError::BadGateway("the model's server sent a malformed reply".into()),
        ));
    };
    match probe.usage {
        Some(usage) => accounting.reported(usage),
        // Only then is the text needed, for an estimate.
        None => {
            for message in probe.choices.iter().filter_map(|c| c.message.as_ref()) {
                if let Some(text) = &message.content {
                    accounting.completion_text(text);
                }
                for function in message
                    .tool_calls
                    .iter()
                    .flatten()
                    .filter_map(|c| c.function.as_ref())
                {
                    for text in [&function.name, &function.arguments].into_iter().flatten() {
                        accounting.completion_text(text);
                    }
                }
            }
        }
    }
    let body = probe
        .model
        .and_then(|model| splice::replace(&body, model, &splice::json_string(&request.model.id)))
        .map_or_else(|| body.clone(), BytesMut::freeze);
    accounting.finish(status);
    Ok((status, body))
}
