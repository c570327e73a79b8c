//! `/api/admin/users`: list, inspect, change (role, disabled) and delete accounts.

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use studio_api_keys::{ApiKeyService, KeyAdmin};
use studio_auth::{
    oauth::{IdentityInfo, OAuthService},
    Role, SessionInfo, User, UserAdmin, UserFilter,
};
use studio_usage::{UsageQuery, UsageReport, UsageService};

use super::Paging;
use crate::{
    errors::{internal, ApiError},
    extractors::{AdminUser, Audit},
    openapi::responses::{Admin as AdminOnly, Body, Conflict, Internal, Invalid, Missing},
};

type Admin = web::Data<dyn UserAdmin>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/users").route(web::get().to(list)))
        .service(
            web::resource("/users/{id}")
                .route(web::get().to(detail))
                .route(web::patch().to(update))
                .route(web::delete().to(delete)),
        );
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(list, detail, update, delete))]
pub(crate) struct Doc;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Part of an email address or a name.
    q: Option<String>,
    /// `user` or `admin`.
    #[param(pattern = "^(user|admin)$")]
    role: Option<String>,
    /// `true` or `false`.
    #[param(value_type = Option<bool>)]
    disabled: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    paging: Paging,
}

fn parse_role(field: &str, value: &str) -> Result<Role, ApiError> {
    Role::parse(value)
        .ok_or_else(|| ApiError::invalid_field(field, "role must be 'user' or 'admin'"))
}

/// Every account, filtered, oldest first.
#[utoipa::path(get, path = "/api/admin/users", tag = "admin", operation_id = "adminListUsers", security(("jwt" = [])),
    params(ListQuery, Paging),
    responses((status = 200, description = "A page", body = studio_core::Page<User>),
        Invalid, AdminOnly, Internal))]
async fn list(
    admin: Admin,
    _caller: AdminUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = UserFilter {
        q: query.q.clone().filter(|q| !q.trim().is_empty()),
        role: query
            .role
            .as_deref()
            .map(|r| parse_role("role", r))
            .transpose()?,
        disabled: super::flag("disabled", query.disabled.as_deref())?,
    };
    let page = admin.users(filter, query.paging.request()?).await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AdminUserDetail)]
struct Detail {
    #[serde(flatten)]
    user: User,
    identities: Vec<IdentityInfo>,
    sessions: Vec<SessionInfo>,
    key_count: i64,
    usage_this_month: UsageReport,
}

/// Everything an operator needs about one account in one answer.
#[utoipa::path(get, path = "/api/admin/users/{id}", tag = "admin", operation_id = "adminGetUser", security(("jwt" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The account", body = Detail),
        AdminOnly, Missing, Internal))]
async fn detail(
    admin: Admin,
    oauth: web::Data<dyn OAuthService>,
    keys: web::Data<dyn KeyAdmin>,
    usage: web::Data<dyn UsageService>,
    _caller: AdminUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = admin.user(&id).await?;
    let now = studio_core::time::now();
    let month_start = chrono::Datelike::with_day(&now.date(), 1).unwrap_or(now.date());
    let month = UsageQuery {
        from: month_start.and_time(chrono::NaiveTime::MIN),
        to: now + chrono::Duration::seconds(1),
        tz: None,
    };
    Ok(HttpResponse::Ok().json(Detail {
        identities: oauth.identities(&user.id).await?,
        sessions: admin.user_sessions(&user.id).await?,
        key_count: keys.active_count(&user.id).await?,
        usage_this_month: usage
            .report(&user.id, month)
            .await
            .map_err(|e| internal(&e))?,
        user,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = AdminUserChange)]
struct Change {
    /// `user` or `admin`.
    #[schema(pattern = "^(user|admin)$")]
    role: Option<String>,
    disabled: Option<bool>,
}

/// Changes an account's role and/or disables it (revoking its keys) or enables it.
#[utoipa::path(patch, path = "/api/admin/users/{id}", tag = "admin", operation_id = "adminUpdateUser", security(("jwt" = [])),
    params(("id" = String, Path)), request_body = Change,
    responses((status = 200, description = "The account", body = User),
        Body, AdminOnly, Missing, Conflict, Internal))]
async fn update(
    admin: Admin,
    keys: web::Data<dyn ApiKeyService>,
    caller: AdminUser,
    audit: Audit,
    id: web::Path<String>,
    body: web::Json<Change>,
) -> Result<HttpResponse, ApiError> {
    let actor = Some(caller.user_id());
    let role = body
        .role
        .as_deref()
        .map(|r| parse_role("role", r))
        .transpose()?;
    let mut user = admin.user(&id).await.map_err(ApiError::from);
    if let (Some(role), Ok(_)) = (role, &user) {
        let result = admin.set_role(&id, role).await.map_err(ApiError::from);
        let action = format!("admin.user.role.{}", role.as_str());
        audit.outcome(&action, actor, Some(&id), &result);
        user = Ok(result?);
    }
    if let (Some(disabled), Ok(_)) = (body.disabled, &user) {
        let mut result = admin
            .set_disabled(&id, disabled)
            .await
            .map_err(ApiError::from);
        if disabled && result.is_ok() {
            // Keys are revoked, not suspended: enabling the account later needs new keys.
            if let Err(error) = keys.revoke_all(&id).await {
                result = Err(error.into());
            }
        }
        let action = if disabled {
            "admin.user.disable"
        } else {
            "admin.user.enable"
        };
        audit.outcome(action, actor, Some(&id), &result);
        user = Ok(result?);
    }
    if let Err(error) = &user {
        audit.refused("admin.user.update", actor, Some(&id), error.code);
    }
    Ok(HttpResponse::Ok().json(user?))
}

/// Deletes an account, after locking it out everywhere (takes a few seconds).
#[utoipa::path(delete, path = "/api/admin/users/{id}", tag = "admin", operation_id = "adminDeleteUser", security(("jwt" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), AdminOnly, Missing, Conflict, Internal))]
async fn delete(
    admin: Admin,
    keys: web::Data<dyn ApiKeyService>,
    caller: AdminUser,
    audit: Audit,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    // In a task of its own: a client that gives up during the wait must not leave the account
    // disabled but not deleted (actix drops a handler whose client went away).
    let (admin, keys, target) = (admin.into_inner(), keys.into_inner(), id.clone());
    let result = tokio::spawn(async move { delete_account(&admin, &keys, &target).await })
        .await
        .unwrap_or_else(|_| Err(ApiError::internal()));
    audit.outcome(
        "admin.user.delete",
        Some(caller.user_id()),
        Some(&id),
        &result,
    );
    result?;
    Ok(HttpResponse::NoContent().finish())
}

/// Locks the account out everywhere first, then deletes it. Other instances learn of revoked
/// sessions and keys by polling those rows; deleted rows would never reach them, so the delete
/// waits out one polling window after the revocations.
async fn delete_account(
    admin: &Arc<dyn UserAdmin>,
    keys: &Arc<dyn ApiKeyService>,
    id: &str,
) -> Result<(), ApiError> {
    admin.set_disabled(id, true).await?;
    keys.revoke_all(id).await?;
    tokio::time::sleep(studio_core::poll::POLL_INTERVAL * 2).await;
    Ok(admin.delete_user(id).await?)
}
