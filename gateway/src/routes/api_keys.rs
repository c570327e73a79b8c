//! `/api/keys`: the user's API keys (JWT only: a key cannot manage keys).

use actix_web::{web, HttpResponse};
use serde_json::json;
use studio_api_keys::{ApiKeyInfo, ApiKeyService, CreatedApiKey, KeyUpdate, NewApiKey};
use studio_audit::{AuditEvent, Outcome};

use crate::{
    errors::ApiError,
    extractors::{Audit, AuthUser},
    openapi::responses::{Body, Conflict, Internal, Jwt, Missing},
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

#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, update, revoke))]
pub(crate) struct Doc;

/// Issues a key; the full key is in this answer only.
#[utoipa::path(post, path = "/api/keys", tag = "keys", operation_id = "createKey", security(("jwt" = [])),
    request_body(content = NewApiKey, example = json!({"name": "my laptop"})),
    responses((status = 201, description = "The new key, with its secret", body = CreatedApiKey),
        Body, Jwt, Conflict, Internal))]
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

/// The caller's keys (never a secret).
#[utoipa::path(get, path = "/api/keys", tag = "keys", operation_id = "listKeys", security(("jwt" = [])),
    responses((status = 200, description = "The keys", body = Vec<ApiKeyInfo>), Jwt, Internal))]
async fn list(keys: Keys, user: AuthUser) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(keys.list(user.user_id()).await?))
}

/// Renames a key and/or replaces its limits.
#[utoipa::path(patch, path = "/api/keys/{id}", tag = "keys", operation_id = "updateKey", security(("jwt" = [])),
    params(("id" = String, Path, description = "A key id")), request_body = KeyUpdate,
    responses((status = 200, description = "The key", body = ApiKeyInfo),
        Body, Jwt, Missing, Internal))]
async fn update(
    keys: Keys,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<KeyUpdate>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(keys.update(user.user_id(), &id, body.into_inner()).await?))
}

/// Revokes a key, at once on this instance and within about 2 seconds on others.
#[utoipa::path(delete, path = "/api/keys/{id}", tag = "keys", operation_id = "revokeKey", security(("jwt" = [])),
    params(("id" = String, Path, description = "A key id")),
    responses((status = 204, description = "Revoked"), Jwt, Missing, Internal))]
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
