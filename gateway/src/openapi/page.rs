//! `GET /docs`: Swagger UI, every file of it embedded in the binary (utoipa-swagger-ui's
//! `vendored` build), reading `/api/openapi.json`. Nothing is fetched from anywhere else: the
//! validator badge (which calls validator.swagger.io) is off, and the page's CSP allows this
//! origin only.

use std::sync::Arc;

use actix_web::{
    http::{header, StatusCode},
    web, HttpResponse,
};
use utoipa_swagger_ui::Config;

/// Scripts and styles from this origin only. Swagger UI sets inline `style` attributes and
/// inlines its icons as `data:` images; "Try it out" calls this origin.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

#[derive(Clone)]
struct Ui(Arc<Config<'static>>);

pub fn configure(cfg: &mut web::ServiceConfig) {
    let config = Config::from("/api/openapi.json")
        .validator_url("none")
        .display_request_duration(true)
        .persist_authorization(false);
    let ui = web::Data::new(Ui(Arc::new(config)));
    cfg.service(web::resource("/docs").route(web::get().to(to_slash)))
        .service(
            web::resource("/docs/{file:.*}")
                .app_data(ui)
                .route(web::get().to(file)),
        );
}

/// The page's files are relative (`./swagger-ui.css`), so the page lives at `/docs/`.
async fn to_slash() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}

async fn file(ui: web::Data<Ui>, name: web::Path<String>) -> HttpResponse {
    match utoipa_swagger_ui::serve(&name, ui.0.clone()) {
        Ok(Some(file)) => HttpResponse::Ok()
            .content_type(file.content_type)
            .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(file.bytes.into_owned()),
        Ok(None) => crate::errors::WireFormat::Api
            .render(StatusCode::NOT_FOUND, format!("no such file: /docs/{name}")),
        Err(error) => {
            tracing::error!(%error, "cannot render the docs page");
            crate::errors::ApiError::internal().to_response()
        }
    }
}
