//! `POST /v1/chat/completions`: validation, injected misbehaviour, and the non-stream answer.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::errors::ApiError;
use crate::options::ModelOptions;
use crate::reply::{ChatRequest, Reply, Usage};
use crate::request::{read_body, V1Gate};
use crate::stats::InFlight;
use crate::stream::{self, StreamPlan};
use crate::AppState;

pub(crate) async fn completions(
    _gate: V1Gate,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let seq = state.stats.count_chat();
    // Dropped unfinished only when actix drops this future: the client went away.
    let in_flight = InFlight::new(&state.stats);
    let result = answer(&state, payload, seq).await;
    in_flight.finish();
    result
}

async fn answer(
    state: &web::Data<AppState>,
    payload: web::Payload,
    seq: u64,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload).await?;
    let request: ChatRequest =
        serde_json::from_slice(&body).map_err(|err| ApiError::bad_json(&err))?;
    state.stats.record_chat_body(body.clone());

    let Some(model) = request.model.as_deref() else {
        return Err(ApiError::invalid_request(
            Some("model"),
            "you must provide a model parameter",
        ));
    };
    let options =
        ModelOptions::parse(model).map_err(|msg| ApiError::invalid_request(Some("model"), msg))?;
    pause(options.stall).await;
    if let Some(failure) = options.fail {
        state.stats.count_injected_failure();
        return Err(ApiError::injected(failure));
    }
    let messages = match request.messages.as_deref() {
        Some(messages) if !messages.is_empty() => messages,
        Some(_) => {
            return Err(ApiError::invalid_request(
                Some("messages"),
                "messages must not be empty",
            ))
        }
        None => {
            return Err(ApiError::invalid_request(
                Some("messages"),
                "messages is a required property",
            ))
        }
    };

    let limit = match (request.max_tokens, request.max_completion_tokens) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let reply = Reply::plan(messages, options.tokens, limit);
    let id = format!("chatcmpl-dev{seq:012x}");
    let created = unix_now();
    let ttft = options.ttft.unwrap_or(state.config.first_token_delay);

    if request.stream == Some(true) {
        let include_usage = request
            .stream_options
            .as_ref()
            .and_then(|o| o.include_usage)
            .unwrap_or(false);
        let plan = StreamPlan {
            id: &id,
            created,
            model,
            include_usage: include_usage && options.usage,
            ttft,
            delay: options.delay.unwrap_or(state.config.token_delay),
            cut: options.cut,
            malformed: options.malformed,
            silence: options.silence,
            multiline: options.multiline,
            nodone: options.nodone,
            tools: options.tools,
        };
        return Ok(stream::response(plan, reply, state.stats.clone()));
    }

    pause(Some(ttft)).await;
    if options.usage {
        state.stats.count_usage_reported(reply.usage.total_tokens);
    }
    Ok(HttpResponse::Ok().json(Completion {
        id: &id,
        object: "chat.completion",
        created,
        model,
        choices: [Choice {
            index: 0,
            message: AssistantMessage {
                role: "assistant",
                content: &reply.content(),
            },
            finish_reason: reply.finish_reason,
        }],
        usage: options.usage.then_some(reply.usage),
    }))
}

/// Sleeps only for a real delay: zero must not even yield, the benchmark counts every wake-up.
pub(crate) async fn pause(delay: Option<Duration>) {
    if let Some(delay) = delay.filter(|d| !d.is_zero()) {
        tokio::time::sleep(delay).await;
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

#[derive(Serialize)]
struct Completion<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: [Choice<'a>; 1],
    /// Absent, not null, with `usage=false`: "never report usage".
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Usage>,
}

#[derive(Serialize)]
struct Choice<'a> {
    index: u32,
    message: AssistantMessage<'a>,
    finish_reason: &'static str,
}

#[derive(Serialize)]
struct AssistantMessage<'a> {
    role: &'static str,
    content: &'a str,
}
