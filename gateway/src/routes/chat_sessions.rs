//! `/api/chat/sessions`: kept conversations, their message tree, and replies streamed by a
//! server-side task (a client that goes away can resume; only an explicit cancel stops it).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use studio_chat::ChatProxy;
use studio_conversations::{
    ConversationService, ExportFormat, ListSessions, Message, NewMessage, NewSession, Session,
    SessionDetail, SessionPage, SessionPatch,
};

use crate::{
    errors::ApiError,
    extractors::AuthUser,
    openapi::{
        responses::{Body, Internal, Invalid, Jwt, Missing},
        wire::ServerSentEvent,
    },
};

type Sessions = web::Data<dyn ConversationService>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/chat/sessions")
            .service(
                web::resource("")
                    .route(web::get().to(list))
                    .route(web::post().to(create)),
            )
            .service(
                web::resource("/{id}")
                    .route(web::get().to(get))
                    .route(web::patch().to(update))
                    .route(web::delete().to(delete)),
            )
            .service(web::resource("/{id}/export").route(web::get().to(export)))
            .service(web::resource("/{id}/messages").route(web::post().to(send)))
            .service(
                web::resource("/{id}/messages/{message}/siblings").route(web::get().to(siblings)),
            )
            .service(
                web::resource("/{id}/messages/{message}/regenerate")
                    .route(web::post().to(regenerate)),
            )
            .service(web::resource("/{id}/messages/{message}/stream").route(web::get().to(stream)))
            .service(
                web::resource("/{id}/messages/{message}/cancel").route(web::post().to(cancel)),
            ),
    );
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list, create, get, update, delete, export, send, regenerate, siblings, stream, cancel
))]
pub(crate) struct Doc;

/// A reply's events: `event: message` first (`{sessionId, userMessageId, assistantMessageId}`),
/// then OpenAI `chat.completion.chunk`s with ids (byte offsets into the reply's text), then
/// `event: done` or `event: error`.
const STREAM: &str = "The reply's server-sent events";

fn event_stream(body: studio_conversations::EventStream) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body)
}

/// The caller's sessions, newest `updatedAt` first.
#[utoipa::path(get, path = "/api/chat/sessions", tag = "chat-sessions", operation_id = "listChatSessions", security(("jwt" = [])),
    params(ListSessions),
    responses((status = 200, description = "A page", body = SessionPage), Invalid, Jwt, Internal))]
async fn list(
    sessions: Sessions,
    user: AuthUser,
    query: web::Query<ListSessions>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(sessions.list(user.user_id(), query.into_inner()).await?))
}

/// Starts a session.
#[utoipa::path(post, path = "/api/chat/sessions", tag = "chat-sessions", operation_id = "createChatSession", security(("jwt" = [])),
    request_body(content = NewSession, example = json!({"model": "llama-3.1-8b-instruct"})),
    responses((status = 201, description = "The session", body = Session), Body, Jwt, Internal))]
async fn create(
    sessions: Sessions,
    user: AuthUser,
    body: web::Json<NewSession>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Created().json(sessions.create(user.user_id(), body.into_inner()).await?))
}

/// The session with the messages of its current branch, root first.
#[utoipa::path(get, path = "/api/chat/sessions/{id}", tag = "chat-sessions", operation_id = "getChatSession",
    security(("jwt" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "The session", body = SessionDetail),
        Jwt, Missing, Internal))]
async fn get(
    sessions: Sessions,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(sessions.get(user.user_id(), &id).await?))
}

/// Changes a session; `currentLeafId` switches branch.
#[utoipa::path(patch, path = "/api/chat/sessions/{id}", tag = "chat-sessions", operation_id = "updateChatSession",
    security(("jwt" = [])), params(("id" = String, Path)), request_body = SessionPatch,
    responses((status = 200, description = "The session", body = Session),
        Body, Jwt, Missing, Internal))]
async fn update(
    sessions: Sessions,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<SessionPatch>,
) -> Result<HttpResponse, ApiError> {
    let session = sessions
        .update(user.user_id(), &id, body.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(session))
}

/// Deletes a session and its messages, cancelling live replies.
#[utoipa::path(delete, path = "/api/chat/sessions/{id}", tag = "chat-sessions", operation_id = "deleteChatSession",
    security(("jwt" = [])), params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), Jwt, Missing, Internal))]
async fn delete(
    sessions: Sessions,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    sessions.delete(user.user_id(), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// `json` (the default) or `markdown` (`md`).
    #[param(pattern = "^(json|markdown|md)$")]
    format: Option<String>,
}

/// The current branch as a file (`Content-Disposition: attachment`).
#[utoipa::path(get, path = "/api/chat/sessions/{id}/export", tag = "chat-sessions", operation_id = "exportChatSession",
    security(("jwt" = [])), params(("id" = String, Path), ExportQuery),
    responses((status = 200, description = "The file", content(
            (SessionDetail = "application/json"), (String = "text/markdown"))),
        Invalid, Jwt, Missing, Internal))]
async fn export(
    sessions: Sessions,
    user: AuthUser,
    id: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let format: ExportFormat = query.format.as_deref().unwrap_or("json").parse()?;
    let export = sessions.export(user.user_id(), &id, format).await?;
    Ok(HttpResponse::Ok()
        .content_type(export.content_type)
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{}\"", export.file_name),
        ))
        .body(export.body))
}

/// Stores a message and streams the reply.
#[utoipa::path(post, path = "/api/chat/sessions/{id}/messages", tag = "chat-sessions", operation_id = "sendMessage",
    security(("jwt" = [])), params(("id" = String, Path)),
    request_body(content = NewMessage, example = json!({"content": "Hello"})),
    responses((status = 200, description = STREAM, content_type = "text/event-stream",
        body = ServerSentEvent), Body, Jwt, Missing, Internal))]
async fn send(
    sessions: Sessions,
    proxy: web::Data<ChatProxy>,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<NewMessage>,
) -> Result<HttpResponse, ApiError> {
    let pending = sessions
        .send(user.user_id(), &id, body.into_inner())
        .await?;
    Ok(event_stream(sessions.start(proxy.into_inner(), pending)))
}

/// Generates a sibling of an assistant reply, streamed.
#[utoipa::path(post, path = "/api/chat/sessions/{id}/messages/{message}/regenerate",
    tag = "chat-sessions", operation_id = "regenerateMessage", security(("jwt" = [])),
    params(("id" = String, Path), ("message" = String, Path)),
    responses((status = 200, description = STREAM, content_type = "text/event-stream",
        body = ServerSentEvent), Invalid, Jwt, Missing, Internal))]
async fn regenerate(
    sessions: Sessions,
    proxy: web::Data<ChatProxy>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, message) = path.into_inner();
    let pending = sessions.regenerate(user.user_id(), &id, &message).await?;
    Ok(event_stream(sessions.start(proxy.into_inner(), pending)))
}

/// The message and its alternatives (same parent), oldest first.
#[utoipa::path(get, path = "/api/chat/sessions/{id}/messages/{message}/siblings",
    tag = "chat-sessions", operation_id = "listSiblings", security(("jwt" = [])),
    params(("id" = String, Path), ("message" = String, Path)),
    responses((status = 200, description = "The messages", body = Vec<Message>),
        Jwt, Missing, Internal))]
async fn siblings(
    sessions: Sessions,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, message) = path.into_inner();
    Ok(HttpResponse::Ok().json(sessions.siblings(user.user_id(), &id, &message).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct StreamQuery {
    /// Resume after this many bytes of the reply (as `Last-Event-ID`).
    #[param(value_type = Option<u64>)]
    after: Option<String>,
}

/// Where to resume: `Last-Event-ID` (what an `EventSource` sends on reconnect) or `?after=`.
fn resume_offset(req: &HttpRequest, query: &StreamQuery) -> Result<usize, ApiError> {
    let header = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok());
    match query.after.as_deref().or(header) {
        None | Some("") => Ok(0),
        Some(value) => value.trim().parse().map_err(|_| {
            ApiError::invalid_field("after", "after (or Last-Event-ID) must be a whole number")
        }),
    }
}

/// Replays a reply after `Last-Event-ID` (or `?after=`), then follows it live until it ends.
#[utoipa::path(get, path = "/api/chat/sessions/{id}/messages/{message}/stream",
    tag = "chat-sessions", operation_id = "followReply", security(("jwt" = [])),
    params(("id" = String, Path), ("message" = String, Path), StreamQuery,
        ("Last-Event-ID" = Option<u64>, Header, nullable = false, description = "Where to resume")),
    responses((status = 200, description = STREAM, content_type = "text/event-stream",
        body = ServerSentEvent), Invalid, Jwt, Missing, Internal))]
async fn stream(
    req: HttpRequest,
    sessions: Sessions,
    user: AuthUser,
    path: web::Path<(String, String)>,
    query: web::Query<StreamQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, message) = path.into_inner();
    let after = resume_offset(&req, &query)?;
    let events = sessions
        .follow(user.user_id(), &id, &message, after)
        .await?;
    Ok(event_stream(events))
}

/// Stops a reply; its text so far is kept, `cancelled`.
#[utoipa::path(post, path = "/api/chat/sessions/{id}/messages/{message}/cancel",
    tag = "chat-sessions", operation_id = "cancelReply", security(("jwt" = [])),
    params(("id" = String, Path), ("message" = String, Path)),
    responses((status = 200, description = "The message", body = Message), Jwt, Missing, Internal))]
async fn cancel(
    sessions: Sessions,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, message) = path.into_inner();
    Ok(HttpResponse::Ok().json(sessions.cancel(user.user_id(), &id, &message).await?))
}
