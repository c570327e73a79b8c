//! Routing, and the small endpoints that need no module of their own.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};

use crate::errors::ApiError;
use crate::request::V1Gate;
use crate::{chat, image_store, images, AppState};

/// The model list never changes, so it is one static string, not a serde pass per request.
const MODELS: &str = concat!(
    r#"{"object":"list","data":["#,
    r#"{"id":"dev-chat","object":"model","created":1700000000,"owned_by":"studio-dev"},"#,
    r#"{"id":"dev-chat-large","object":"model","created":1700000000,"owned_by":"studio-dev"},"#,
    r#"{"id":"dev-image","object":"model","created":1700000000,"owned_by":"studio-dev"}"#,
    r#"]}"#
);

/// Every route; unknown `/v1` paths and wrong methods answer OpenAI errors, never HTML or
/// an empty body.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .service(
                web::resource("/models")
                    .route(web::get().to(models))
                    .default_service(web::to(v1_method_not_allowed)),
            )
            .service(
                web::resource("/chat/completions")
                    .route(web::post().to(chat::completions))
                    .default_service(web::to(v1_method_not_allowed)),
            )
            .service(
                web::resource("/images/generations")
                    .route(web::post().to(images::generations))
                    .default_service(web::to(v1_method_not_allowed)),
            )
            .default_service(web::to(v1_not_found)),
    )
    .service(web::resource("/images/{file}").route(web::get().to(image_store::serve)))
    .service(web::resource("/stats").route(web::get().to(stats)))
    .service(web::resource("/health").route(web::get().to(health)));
}

async fn models(_gate: V1Gate) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(MODELS)
}

/// `GET /stats`: what the upstream saw, for tests that run the server out of process.
async fn stats(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.stats.snapshot())
}

/// `GET /health`: for scripts waiting for the server to come up.
async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// Unknown paths under `/v1` still count as requests and still need the key, as upstream.
async fn v1_not_found(_gate: V1Gate, req: HttpRequest) -> HttpResponse {
    not_found_response(&req)
}

async fn v1_method_not_allowed(_gate: V1Gate, req: HttpRequest) -> HttpResponse {
    ApiError::method_not_allowed(req.method().as_str(), req.path()).error_response()
}

pub(crate) async fn not_found(req: HttpRequest) -> HttpResponse {
    not_found_response(&req)
}

fn not_found_response(req: &HttpRequest) -> HttpResponse {
    ApiError::not_found(req.method().as_str(), req.path()).error_response()
}
