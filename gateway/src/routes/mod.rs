//! HTTP routes: thin handlers that call domain services and map their errors.

pub(crate) mod admin;
mod api_keys;
mod auth;
mod chat;
mod chat_sessions;
mod email;
mod health;
mod images;
mod media;
pub(crate) mod metrics;
mod models;
mod oauth;
pub(crate) mod usage;

use actix_web::web;

pub use media::MediaUrls;

/// Each module's part of the OpenAPI document (see `crate::openapi`); the same modules as
/// `configure`.
pub(crate) fn docs() -> Vec<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi;
    vec![
        health::Doc::openapi(),
        oauth::Doc::openapi(),
        email::Doc::openapi(),
        auth::Doc::openapi(),
        api_keys::Doc::openapi(),
        models::Doc::openapi(),
        chat::Doc::openapi(),
        chat_sessions::Doc::openapi(),
        images::Doc::openapi(),
        usage::Doc::openapi(),
        metrics::Doc::openapi(),
    ]
    .into_iter()
    .chain(admin::docs())
    .collect()
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The hot /v1 routes first: actix tries resources in order, and each one skipped before
    // them costs a match (a regex for patterned paths) on every request.
    cfg.configure(chat::configure)
        .configure(models::configure)
        .configure(health::configure)
        .configure(crate::openapi::configure)
        .configure(metrics::configure)
        // Before the /api/auth scope, which answers 404 for any path under it it does not know.
        .configure(oauth::configure)
        .configure(email::configure)
        .configure(auth::configure)
        .configure(api_keys::configure)
        .configure(chat_sessions::configure)
        .configure(images::configure)
        .configure(usage::configure)
        .configure(admin::configure);
}

/// The signed media files, served under `MEDIA_URL`'s path.
pub fn media(path: &str) -> impl FnOnce(&mut web::ServiceConfig) + '_ {
    media::configure(path)
}
