//! `STUDIO_METRICS_BIND`: a listener of its own that serves `GET /metrics` and nothing else,
//! without a token (bind it where only Prometheus reaches).

use std::net::TcpListener;

use actix_web::{dev::Server, http::StatusCode, web, App, HttpResponse, HttpServer};
use studio_core::DbPool;
use studio_usage::UsageWriter;

use super::Exporter;
use crate::errors::WireFormat;

/// One worker is plenty for a scrape every few seconds; the gateway stops it after the main
/// server (signals are the main server's business).
pub fn serve(
    listener: TcpListener,
    exporter: Exporter,
    pool: DbPool,
    usage: UsageWriter,
) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(exporter.clone()))
            .app_data(web::Data::new(pool.clone()))
            .app_data(web::Data::new(usage.clone()))
            .route("/metrics", web::get().to(scrape))
            .default_service(web::to(|| async {
                WireFormat::Api.render(StatusCode::NOT_FOUND, "this listener serves /metrics only")
            }))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?
    .run();
    Ok(server)
}

async fn scrape(
    exporter: web::Data<Exporter>,
    pool: web::Data<DbPool>,
    usage: web::Data<UsageWriter>,
) -> HttpResponse {
    crate::routes::metrics::render(&exporter, &pool, &usage)
}
