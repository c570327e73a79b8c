//! The OpenAPI 3.1 document of every `/api` and `/v1` route, served at `GET /api/openapi.json`,
//! and the docs page at `/docs` that reads it (Swagger UI, embedded in the binary).
//!
//! Each routes module describes its own handlers (`#[utoipa::path]`, collected in its `Doc`);
//! this module adds what they share (info, servers, tags, error bodies and responses, security
//! schemes) and merges them. `docs/openapi.json` is a checked-in copy, kept equal by a test
//! (`cargo xtask openapi` rewrites it).

mod page;
pub mod responses;
pub mod wire;

use actix_web::{web, HttpResponse};
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

/// `security(("jwt" = []))`: the frontend's access token (`POST /api/auth/login`).
pub const JWT: &str = "jwt";
/// `security(("apiKey" = []))`: an `sk-studio-…` key (`POST /api/keys`).
pub const API_KEY: &str = "apiKey";
/// `security(("metricsToken" = []))`: `STUDIO_METRICS_TOKEN`, for Prometheus.
pub const METRICS_TOKEN: &str = "metricsToken";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Studio",
        description = "The Studio API. `/api/*` is the frontend's REST API (camelCase JSON; errors \
            `{\"error\":{\"code\",\"message\",\"details\"}}`). `/v1/*` is OpenAI-compatible (OpenAI's \
            wire format and error body), for the official SDKs and third-party tools. \
            Authenticate `/api` with a JWT access token from `POST /api/auth/login`, and `/v1` with \
            an API key (`sk-studio-…`, from `POST /api/keys`) or the same JWT, both as \
            `Authorization: Bearer …`.",
        license(name = "MIT", identifier = "MIT"),
    ),
    servers((url = "/", description = "This Studio instance")),
    tags(
        (name = "health", description = "Liveness and readiness probes"),
        (name = "auth", description = "Accounts, tokens, profile and signed-in devices"),
        (name = "oauth", description = "Sign-in with Google, Apple and OpenID Connect providers"),
        (name = "keys", description = "The caller's API keys"),
        (name = "models", description = "The model catalog"),
        (name = "chat", description = "OpenAI-compatible chat completions"),
        (name = "chat-sessions", description = "Kept conversations and their replies"),
        (name = "images", description = "Image generation and the gallery"),
        (name = "usage", description = "The caller's usage"),
        (name = "admin", description = "The operators' API (admin JWT only)"),
        (name = "docs", description = "This document"),
        (name = "metrics", description = "Prometheus metrics for operators"),
    ),
    paths(openapi_json),
    components(schemas(crate::errors::api::Body, crate::errors::openai::Body)),
    modifiers(&Shared),
)]
struct Base;

/// Security schemes and the named error responses.
struct Shared;

impl Modify for Shared {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let bearer = |format: &str, description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format(format)
                    .description(Some(description))
                    .build(),
            )
        };
        components.add_security_scheme(
            JWT,
            bearer(
                "JWT",
                "An access token from `POST /api/auth/login` (15 minutes).",
            ),
        );
        components.add_security_scheme(
            API_KEY,
            bearer(
                "sk-studio-…",
                "An API key from `POST /api/keys`, sent as `Authorization: Bearer sk-studio-…`.",
            ),
        );
        components.add_security_scheme(
            METRICS_TOKEN,
            bearer(
                "token",
                "`STUDIO_METRICS_TOKEN`, sent as `Authorization: Bearer …` (Prometheus' \
                 `authorization` setting).",
            ),
        );
        components.responses.extend(responses::components());
    }
}

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Base::openapi();
    for part in crate::routes::docs() {
        doc.merge(part);
    }
    if let Some(components) = doc.components.as_mut() {
        wire::open_objects(components);
    }
    doc
}

/// The document as `docs/openapi.json` holds it: pretty JSON, keys sorted, a final newline.
pub fn to_json(doc: &utoipa::openapi::OpenApi) -> String {
    // Through `Value`, whose maps are sorted, so the key order never depends on the derives.
    let text = serde_json::to_value(doc).and_then(|value| serde_json::to_string_pretty(&value));
    text.map(|text| text + "\n").unwrap_or_default()
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/openapi.json").route(web::get().to(openapi_json)))
        .configure(page::configure);
}

/// This document (no credentials needed).
#[utoipa::path(get, path = "/api/openapi.json", tag = "docs", operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 document",
        content_type = "application/json", body = Object)))]
async fn openapi_json() -> HttpResponse {
    // Rendered on first use, once per process: the document is a constant of the binary, and
    // rendering it as each worker starts would cost every start for a rarely asked page.
    static RENDERED: std::sync::OnceLock<web::Bytes> = std::sync::OnceLock::new();
    let body = RENDERED.get_or_init(|| web::Bytes::from(to_json(&document())));
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.clone())
}
