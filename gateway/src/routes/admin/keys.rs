//! `/api/admin/keys`: every user's API keys (never a secret), and revoking any of them.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use studio_api_keys::KeyAdmin;

use super::Paging;
use crate::{
    errors::ApiError,
    extractors::{AdminUser, Audit},
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/keys").route(web::get().to(list)))
        .service(web::resource("/keys/{id}").route(web::delete().to(revoke)));
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    user_id: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

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
