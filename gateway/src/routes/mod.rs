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

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::configure)
        .configure(metrics::configure)
        // Before the /api/auth scope, which answers 404 for any path under it it does not know.
        .configure(oauth::configure)
        .configure(email::configure)
        .configure(auth::configure)
        .configure(api_keys::configure)
        .configure(models::configure)
        .configure(chat::configure)
        .configure(chat_sessions::configure)
        .configure(images::configure)
        .configure(usage::configure)
        .configure(admin::configure);
}

/// The signed media files, served under `MEDIA_URL`'s path.
pub fn media(path: &str) -> impl FnOnce(&mut web::ServiceConfig) + '_ {
    media::configure(path)
}
