//! HTTP routes: thin handlers that call domain services and map their errors.

mod health;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::configure);
}
