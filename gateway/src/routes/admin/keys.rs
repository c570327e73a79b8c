//! `/api/admin/keys`: every user's API keys (never a secret), and revoking any of them.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use studio_api_keys::{AdminKeyInfo, KeyAdmin};

use super::Paging;
use crate::{
    errors::ApiError,
    extractors::{AdminUser, Audit},
    openapi::responses::{Admin, Internal, Invalid, Missing},
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/keys").route(web::get().to(list)))
        .service(web::resource("/keys/{id}").route(web::delete().to(revoke)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(list, revoke))]
pub(crate) struct Doc;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    /// Only this account's keys.
    user_id: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    paging: Paging,
}

/// Every user's keys (never a secret), oldest first.
#[utoipa::path(get, path = "/api/admin/keys", tag = "admin", operation_id = "adminListKeys", security(("jwt" = [])),
    params(ListQuery, Paging),
    responses((status = 200, description = "A page", body = studio_core::Page<AdminKeyInfo>),
        Invalid, Admin, Internal))]
async fn list(
    keys: web::Data<dyn KeyAdmin>,
    _caller: AdminUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = keys
        .all_keys(query.user_id.as_deref(), query.paging.request()?)
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Revokes any user's key.
#[utoipa::path(delete, path = "/api/admin/keys/{id}", tag = "admin", operation_id = "adminRevokeKey", security(("jwt" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Revoked"), Admin, Missing, Internal))]
async fn revoke(
    keys: web::Data<dyn KeyAdmin>,
    caller: AdminUser,
    audit: Audit,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let result = keys.revoke_any(&id).await.map_err(ApiError::from);
    let owner = result.as_ref().ok().map(String::as_str);
    audit.record(
        studio_audit::AuditEvent::new(
            "admin.key.revoke",
            match &result {
                Ok(_) => studio_audit::Outcome::Succeeded,
                Err(_) => studio_audit::Outcome::Refused,
            },
        )
        .actor(Some(caller.user_id()))
        .subject(owner)
        .details(serde_json::json!({
            "keyId": id.as_str(),
            "reason": result.as_ref().err().map(|e| e.code),
        })),
    );
    result?;
    Ok(HttpResponse::NoContent().finish())
}
