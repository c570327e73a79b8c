//! The chat completions service: one request in, one upstream answer (or stream) out.

use std::{borrow::Cow, sync::Arc, time::Duration};

use bytes::{Bytes, BytesMut};
use serde::Deserialize;
use serde_json::value::RawValue;
use studio_models::{ModelCatalog, Upstream};
use studio_usage::UsageWriter;

use crate::{
    relay::RelayStream,
    request::ChatRequest,
    splice,
    upstream::{self, UpstreamResponse},
    usage::{Accounting, Usage},
    ChatError,
};

/// Upper bound of a non-streamed answer read from an upstream.
const MAX_REPLY_BYTES: usize = 32 * 1024 * 1024;

/// Who is calling, for accounting.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub api_key_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ChatSettings {
    /// Comment sent on a stream while the upstream is silent, so idle connections stay up and
    /// a client that went away is noticed.
    pub keep_alive: Duration,
}

pub enum ChatReply {
    /// A complete OpenAI JSON body, byte for byte as the upstream sent it but for `model`.
    Json { status: u16, body: Bytes },
    /// Server-sent events, relayed as they arrive.
    Stream(Box<RelayStream>),
}

/// Holds an `awc::Client`, which is not `Send`: build one per worker thread.
pub struct ChatProxy {
    client: awc::Client,
    catalog: Arc<dyn ModelCatalog>,
    usage: UsageWriter,
    settings: ChatSettings,
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
}

impl ChatProxy {
    pub fn new(
        client: awc::Client,
        catalog: Arc<dyn ModelCatalog>,
        usage: UsageWriter,
        settings: ChatSettings,
    ) -> Self {
        Self {
            client,
            catalog,
            usage,
            settings,
        }
    }

    pub async fn complete(&self, caller: &Caller, body: Bytes) -> Result<ChatReply, ChatError> {
        let request = ChatRequest::parse(body, self.catalog.as_ref())?;
        let mut accounting = Accounting::new(
            &self.usage,
            caller,
            &request.model.id,
            request.stream,
            request.body.clone(),
        );
        let mut last_error = None;
        // Before the first byte reaches the client, connection errors and 5xx move on to the
        // next upstream; anything else is the answer.
        for upstream in upstream::attempt_order(&request.model.upstreams) {
            accounting.upstream(&upstream.base_url);
            let body = request.upstream_body(&upstream.model);
            let mut response =
                match upstream::send(&self.client, upstream, body, request.stream).await {
                    Ok(response) => response,
                    Err((true, error)) => {
                        last_error = Some(error);
                        continue;
                    }
                    Err((false, error)) => return Err(failed(accounting, error)),
                };
            if !response.status().is_success() {
                match upstream::refusal(&mut response, upstream.timeout).await {
                    (true, error) => {
                        last_error = Some(error);
                        continue;
                    }
                    (false, error) => return Err(failed(accounting, error)),
                }
            }
            if request.stream {
                return Ok(ChatReply::Stream(Box::new(RelayStream::new(
                    response,
                    &request.model.id,
                    request.client_wants_usage,
                    accounting,
                    self.settings.keep_alive,
                ))));
            }
            accounting.first_byte();
            return read_reply(response, upstream, &request, accounting).await;
        }
        let error =
            last_error.unwrap_or_else(|| ChatError::BadGateway("the model has no upstream".into()));
        Err(failed(accounting, error))
    }
}

fn failed(mut accounting: Accounting, error: ChatError) -> ChatError {
    accounting.failed(status_of(&error));
    error
}

pub(crate) fn status_of(error: &ChatError) -> u16 {
    match error {
        ChatError::InvalidRequest { .. } => 400,
        ChatError::ModelNotFound(_) => 404,
        ChatError::Upstream { status, .. } => *status,
        ChatError::BadGateway(_) => 502,
        ChatError::Timeout(_) => 504,
    }
}

async fn read_reply(
    mut response: UpstreamResponse,
    upstream: &Upstream,
    request: &ChatRequest,
    mut accounting: Accounting,
) -> Result<ChatReply, ChatError> {
    let status = response.status().as_u16();
    let body = match tokio::time::timeout(upstream.timeout, response.body().limit(MAX_REPLY_BYTES))
        .await
    {
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
                ChatError::Timeout(upstream.timeout.as_secs()),
            ))
        }
    };
    let Ok(probe) = serde_json::from_slice::<ReplyProbe<'_>>(&body) else {
        return Err(failed(
            accounting,
            ChatError::BadGateway("the model's server sent a malformed reply".into()),
        ));
    };
    if let Some(usage) = probe.usage {
        accounting.reported(usage);
    }
    let chars = probe
        .choices
        .iter()
        .filter_map(|c| c.message.as_ref()?.content.as_ref())
        .map(|text| text.chars().count())
        .sum();
    accounting.completion_text(chars);
    let body = probe
        .model
        .and_then(|model| splice::replace(&body, model, &splice::json_string(&request.model.id)))
        .map_or_else(|| body.clone(), BytesMut::freeze);
    accounting.finish(status);
    Ok(ChatReply::Json { status, body })
}
