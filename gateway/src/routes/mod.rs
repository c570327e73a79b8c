//! HTTP routes: thin handlers that call domain services and map their errors.

mod auth;
mod health;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::configure).configure(auth::configure);
}
