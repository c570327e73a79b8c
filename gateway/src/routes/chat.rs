//! `POST /v1/chat/completions`: the OpenAI-compatible proxy (JSON or SSE).

use actix_web::{
    http::{header, StatusCode},
    web, HttpRequest, HttpResponse,
};
use studio_chat::{Caller, ChatProxy, ChatReply};

use crate::{errors::OpenAiError, extractors::ApiCaller};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/chat/completions").route(web::post().to(complete)));
}

async fn complete(
    req: HttpRequest,
    proxy: web::Data<ChatProxy>,
    caller: ApiCaller,
    body: web::Bytes,
) -> Result<HttpResponse, OpenAiError> {
    // The body is read as bytes (it is passed through), so the content type is checked here;
    // a missing one is tolerated, a different one (curl's default form encoding) is not.
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if content_type.is_some_and(|ct| !ct.starts_with("application/json")) {
        return Err(OpenAiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        ));
    }
    let caller = Caller {
        user_id: caller.user_id,
        api_key_id: caller.api_key_id,
    };
    match proxy.complete(&caller, body).await? {
        ChatReply::Json { status, body } => Ok(HttpResponse::build(
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        )
        .content_type("application/json")
        .body(body)),
        // Frames are relayed as the upstream wrote them (only `model` changes), so they are not
        // re-encoded through an SSE event type; no compression, no proxy buffering.
        ChatReply::Stream(relay) => Ok(HttpResponse::Ok()
            .content_type("text/event-stream")
            .insert_header(("cache-control", "no-cache"))
            .insert_header(("x-accel-buffering", "no"))
            .streaming(*relay)),
    }
}
