//! `/api/chat/sessions`: kept conversations, their message tree, and replies streamed by a
//! server-side task (a client that goes away can resume; only an explicit cancel stops it).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use studio_chat::ChatProxy;
use studio_conversations::{
    ConversationService, ExportFormat, ListSessions, NewMessage, NewSession, SessionPatch,
};

use crate::{errors::ApiError, extractors::AuthUser};

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

fn event_stream(body: studio_conversations::EventStream) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body)
}

async fn list(
    sessions: Sessions,
    user: AuthUser,
    query: web::Query<ListSessions>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(sessions.list(user.user_id(), query.into_inner()).await?))
}

async fn create(
    sessions: Sessions,
    user: AuthUser,
    body: web::Json<NewSession>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Created().json(sessions.create(user.user_id(), body.into_inner()).await?))
}

async fn get(
    sessions: Sessions,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(sessions.get(user.user_id(), &id).await?))
}

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

async fn delete(
    sessions: Sessions,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    sessions.delete(user.user_id(), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
struct ExportQuery {
    format: Option<String>,
}

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

async fn siblings(
    sessions: Sessions,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, message) = path.into_inner();
    Ok(HttpResponse::Ok().json(sessions.siblings(user.user_id(), &id, &message).await?))
}

#[derive(Deserialize)]
struct StreamQuery {
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

async fn cancel(
    sessions: Sessions,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, message) = path.into_inner();
    Ok(HttpResponse::Ok().json(sessions.cancel(user.user_id(), &id, &message).await?))
}
