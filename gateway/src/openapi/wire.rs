//! Schemas of bodies Studio passes through rather than parses into a type of its own: OpenAI's
//! chat completion and image generation requests and replies. These types exist only to be
//! described; the proxy reads the fields it checks and forwards the rest untouched, so every
//! object here allows properties it does not list.

#![allow(dead_code)]

use serde_json::Value;
use utoipa::ToSchema;

/// OpenAI's chat completion request. Studio checks `model` (a chat model of the catalog),
/// `messages` and their roles, `stream`, `max_tokens`/`max_completion_tokens` (at most the
/// model's output limit) and the numeric ranges below; any other field is passed to the upstream
/// as it is.
#[derive(ToSchema)]
#[schema(example = json!({
    "model": "llama-3.1-8b-instruct",
    "messages": [{"role": "user", "content": "Say hello"}],
    "stream": false
}))]
pub struct ChatCompletionRequest {
    /// A chat model's id from `GET /v1/models`.
    model: String,
    #[schema(min_items = 1)]
    messages: Vec<ChatMessage>,
    /// `true`: the answer is a `text/event-stream` of `chat.completion.chunk` events ending with
    /// `data: [DONE]`.
    stream: Option<bool>,
    stream_options: Option<StreamOptions>,
    #[schema(minimum = 1)]
    max_tokens: Option<u32>,
    #[schema(minimum = 1)]
    max_completion_tokens: Option<u32>,
    #[schema(minimum = 0, maximum = 2)]
    temperature: Option<f64>,
    #[schema(minimum = 0, maximum = 1)]
    top_p: Option<f64>,
    #[schema(minimum = -2, maximum = 2)]
    presence_penalty: Option<f64>,
    #[schema(minimum = -2, maximum = 2)]
    frequency_penalty: Option<f64>,
    #[schema(minimum = 1, maximum = 128)]
    n: Option<u32>,
    /// A string or an array of up to 4 strings.
    #[schema(value_type = Option<Object>)]
    stop: Option<Value>,
    seed: Option<i64>,
    user: Option<String>,
    #[schema(value_type = Option<Vec<Object>>)]
    tools: Option<Vec<Value>>,
    #[schema(value_type = Option<Object>)]
    tool_choice: Option<Value>,
    #[schema(value_type = Option<Object>)]
    response_format: Option<Value>,
}

#[derive(ToSchema)]

pub struct ChatMessage {
    role: ChatRole,
    /// Text, an array of content parts, or `null` (an assistant message with tool calls).
    #[schema(value_type = Option<Object>)]
    content: Option<Value>,
    name: Option<String>,
    #[schema(value_type = Option<Vec<Object>>)]
    tool_calls: Option<Vec<Value>>,
    tool_call_id: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ChatRole {
    System,
    Developer,
    User,
    Assistant,
    Tool,
    Function,
}

/// Studio always asks the upstream for usage, and sends the usage chunk on only when
/// `include_usage` is `true`.
#[derive(ToSchema)]

pub struct StreamOptions {
    include_usage: Option<bool>,
}

/// The upstream's answer, passed through (only `model` is mapped back to the catalog id).
#[derive(ToSchema)]
#[schema(example = json!({
    "id": "chatcmpl-123", "object": "chat.completion", "created": 1_700_000_000,
    "model": "llama-3.1-8b-instruct",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello"},
        "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10}
}))]
pub struct ChatCompletion {
    id: String,
    /// `chat.completion`
    object: String,
    created: i64,
    model: String,
    choices: Vec<ChatChoice>,
    usage: Option<CompletionUsage>,
}

#[derive(ToSchema)]

pub struct ChatChoice {
    index: u32,
    #[schema(value_type = Object)]
    message: Value,
    finish_reason: Option<String>,
}

#[derive(ToSchema)]

pub struct CompletionUsage {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
}

/// One server-sent event of a `text/event-stream` answer (keep-alive comments are not events).
#[derive(ToSchema)]
pub struct ServerSentEvent {
    /// The event's name (`message`, `done`, `error`); absent for OpenAI's chunks.
    event: Option<String>,
    /// JSON (a `chat.completion.chunk`, or the event's object), or `[DONE]`.
    data: String,
    /// Where a client may resume (`Last-Event-ID`).
    id: Option<String>,
    retry: Option<u64>,
}

/// OpenAI's image generation request. `model` must be an image model of the catalog and `size`
/// one of its `sizes` (`GET /api/models`; the first is the default).
#[derive(ToSchema)]
#[schema(example = json!({
    "model": "stable-diffusion-xl", "prompt": "a lighthouse at dusk", "n": 1, "size": "256x256"
}))]
pub struct ImageGenerationRequest {
    #[schema(min_length = 1)]
    prompt: String,
    model: String,
    #[schema(minimum = 1, maximum = 10)]
    n: Option<u32>,
    /// `WIDTHxHEIGHT`, e.g. `1024x1024`.
    size: Option<String>,
    response_format: Option<ImageResponseFormat>,
    quality: Option<ImageQuality>,
    style: Option<ImageStyle>,
    user: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ImageResponseFormat {
    Url,
    B64Json,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ImageQuality {
    Standard,
    Hd,
    Low,
    Medium,
    High,
    Auto,
    Default,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ImageStyle {
    Vivid,
    Natural,
}

/// The objects above allow fields they do not list (`additionalProperties: true`).
pub(super) const OPEN: &[&str] = &[
    "ChatCompletionRequest",
    "ChatMessage",
    "StreamOptions",
    "ChatCompletion",
    "ChatChoice",
    "CompletionUsage",
    "ImageGenerationRequest",
];

pub(super) fn open_objects(components: &mut utoipa::openapi::Components) {
    use utoipa::openapi::{schema::AdditionalProperties, RefOr, Schema};
    for name in OPEN {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(*name) {
            object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(true)));
        }
    }
}
