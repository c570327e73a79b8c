//! HTTP routes: thin handlers that call domain services and map their errors.

pub(crate) mod admin;
mod api_keys;
mod auth;
mod chat;
mod email;
mod health;
mod models;
mod oauth;
pub(crate) mod usage;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::configure)
        // Before the /api/auth scope, which answers 404 for any path under it it does not know.
        .configure(oauth::configure)
        .configure(email::configure)
        .configure(auth::configure)
        .configure(api_keys::configure)
        .configure(models::configure)
        .configure(chat::configure)
        .configure(usage::configure)
        .configure(admin::configure);
}
