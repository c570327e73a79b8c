//! The actix `App`: middleware order, extractor configuration and routes.

use actix_web::{
    body::MessageBody,
    dev::{ServiceFactory, ServiceRequest, ServiceResponse},
    middleware::{from_fn, Condition},
    web, App, Error, HttpRequest, HttpResponse,
};

use crate::{errors, middleware, routes, state::AppState};

pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let config = state.config.clone();
    let mut app = App::new()
        .app_data(errors::json_config(config.max_body_bytes))
        .app_data(web::PayloadConfig::new(config.max_body_bytes))
        .app_data(errors::query_config())
        .app_data(errors::path_config());
    app = state.register(app);
    // Last wrapped runs first: the edge (request id, log, host check, security headers, JSON
    // errors) sees everything, CORS answers preflights before routing.
    let media_path = routes::MediaUrls::new(&config.media.url, None).path();
    // This worker's route series (outermost, so it sees every answer's final status); with
    // metrics off the layer is not there at all.
    let series = std::rc::Rc::new(crate::metrics::HttpSeries::new(
        state.exporter.metrics().clone(),
    ));
    let observed = Condition::new(
        state.exporter.enabled(),
        from_fn(move |req, next| crate::metrics::observe_requests(series.clone(), req, next)),
    );
    let edge = middleware::Edge::new(config.is_production(), &config.allowed_hosts);
    app.configure(routes::configure)
        .configure(routes::media(&media_path))
        .default_service(web::to(not_found))
        .wrap(middleware::cors(&config.cors_allowed_origins))
        .wrap(from_fn(move |req, next| {
            middleware::edge(req, next, edge.clone())
        }))
        .wrap(observed)
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    errors::WireFormat::for_path(req.path()).render(
        actix_web::http::StatusCode::NOT_FOUND,
        format!("no such endpoint: {} {}", req.method(), req.path()),
    )
}
