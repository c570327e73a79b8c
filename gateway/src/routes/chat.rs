//! `POST /v1/chat/completions`: the OpenAI-compatible proxy (JSON or SSE).

use actix_web::mime;
use actix_web::{
    http::{header, StatusCode},
    web, HttpRequest, HttpResponse,
};
use studio_chat::{ChatProxy, ChatReply};

use crate::{
    errors::{rate_headers, OpenAiError},
    extractors::ApiCaller,
    openapi::{
        responses::{V1Auth, V1Body, V1Upstream},
        wire::{ChatCompletion, ChatCompletionRequest, ServerSentEvent},
    },
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/chat/completions").route(web::post().to(complete)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(complete))]
pub(crate) struct Doc;

/// OpenAI's chat completions, proxied to the model's upstreams: a JSON answer, or with
/// `"stream": true` a `text/event-stream` of `chat.completion.chunk` events ending with
/// `data: [DONE]` (a failure after the first event ends the stream with an `error` event).
#[utoipa::path(post, path = "/v1/chat/completions", tag = "chat",
    operation_id = "createChatCompletion", request_body = ChatCompletionRequest,
    security(("apiKey" = []), ("jwt" = [])),
    responses(
        (status = 200, description = "The completion, or its stream", content(
            (ChatCompletion = "application/json"),
            (ServerSentEvent = "text/event-stream", example = json!({"data":
                "{\"object\":\"chat.completion.chunk\",\"choices\":[]}"})),
        )),
        V1Auth, V1Body, V1Upstream))]
async fn complete(
    req: HttpRequest,
    proxy: web::Data<ChatProxy>,
    caller: ApiCaller,
    body: web::Bytes,
) -> Result<HttpResponse, OpenAiError> {
    // The body is read as bytes (it is passed through), so the content type is checked here;
    // a missing one is tolerated, a different one (curl's default form encoding) is not.
    let content_type = req.headers().get(header::CONTENT_TYPE);
    let is_json = |value: &header::HeaderValue| {
        value
            .to_str()
            .ok()
            .and_then(|text| text.parse::<mime::Mime>().ok())
            .is_some_and(|mime| mime.type_() == mime::APPLICATION && mime.subtype() == mime::JSON)
    };
    if content_type.is_some_and(|ct| !is_json(ct)) {
        return Err(OpenAiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        ));
    }
    match proxy.complete(&caller, body).await? {
        ChatReply::Json { status, body, rate } => {
            let mut response =
                HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK));
            rate_headers::insert(&mut response, &rate);
            Ok(response.content_type("application/json").body(body))
        }
        // Frames are relayed as the upstream wrote them (only `model` changes), so they are not
        // re-encoded through an SSE event type; no compression, no proxy buffering.
        ChatReply::Stream(relay, rate) => {
            let mut response = HttpResponse::Ok();
            rate_headers::insert(&mut response, &rate);
            Ok(response
                .content_type("text/event-stream")
                .insert_header(("cache-control", "no-cache"))
                .insert_header(("x-accel-buffering", "no"))
                .streaming(*relay))
        }
    }
}
