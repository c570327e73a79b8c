//! `/api/keys`: the user's API keys (JWT only: a key cannot manage keys).

use actix_web::{web, HttpResponse};
use serde_json::json;
use studio_api_keys::{ApiKeyService, KeyUpdate, NewApiKey};
use studio_audit::{AuditEvent, Outcome};

use crate::{
    errors::ApiError,
    extractors::{Audit, AuthUser},
};

type Keys = web::Data<dyn ApiKeyService>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/keys")
            .service(
                web::resource("")
                    .route(web::get().to(list))
                    .route(web::post().to(create)),
            )
            .service(
                web::resource("/{id}")
                    .route(web::patch().to(update))
                    .route(web::delete().to(revoke)),
            ),
    );
}

async fn create(
    keys: Keys,
    user: AuthUser,
    audit: Audit,
    body: web::Json<NewApiKey>,
) -> Result<HttpResponse, ApiError> {
    let created = keys.create(user.user_id(), body.into_inner()).await?;
    audit.record(
        AuditEvent::new("key.create", Outcome::Succeeded)
            .actor(Some(user.user_id()))
            .subject(Some(user.user_id()))
            .details(json!({ "keyId": created.id, "prefix": created.prefix })),
    );
    Ok(HttpResponse::Created().json(created))
}

async fn list(keys: Keys, user: AuthUser) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(keys.list(user.user_id()).await?))
}

async fn update(
    keys: Keys,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<KeyUpdate>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(keys.update(user.user_id(), &id, body.into_inner()).await?))
}

async fn revoke(
    keys: Keys,
    user: AuthUser,
    audit: Audit,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    keys.revoke(user.user_id(), &id).await?;
    audit.record(
        AuditEvent::new("key.revoke", Outcome::Succeeded)
            .actor(Some(user.user_id()))
            .subject(Some(user.user_id()))
            .details(json!({ "keyId": id.as_str() })),
    );
    Ok(HttpResponse::NoContent().finish())
}
