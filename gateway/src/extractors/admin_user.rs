//! `AdminUser`: the caller of an `/api/admin` route, an enabled admin right now. A JWT only
//! (an API key is never an operator); the role is read from the token and then re-checked in the
//! database, so a demotion or a disable counts at once here. Refusals are audited.

use actix_web::{dev::Payload, http::StatusCode, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use studio_auth::{AccessClaims, UserAdmin};

use super::{Audit, AuthUser};
use crate::errors::ApiError;

#[derive(Debug, Clone)]
pub struct AdminUser(pub AccessClaims);

impl AdminUser {
    pub fn user_id(&self) -> &str {
        &self.0.sub
    }
}

fn forbidden() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "this needs an admin account",
    )
}

impl FromRequest for AdminUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = AuthUser::from_request(req, payload).into_inner();
        let admin = req.app_data::<web::Data<dyn UserAdmin>>().cloned();
        let audit = Audit::from_request_parts(req);
        let what = format!("{} {}", req.method(), req.path());
        Box::pin(async move {
            let claims = user?.0;
            let (Some(admin), Some(audit)) = (admin, audit) else {
                return Err(ApiError::internal());
            };
            let allowed = claims.is_admin()
                && admin
                    .is_enabled_admin(&claims.sub)
                    .await
                    .map_err(ApiError::from)?;
            if allowed {
                return Ok(AdminUser(claims));
            }
            audit.record(
                studio_audit::AuditEvent::new("admin.access", studio_audit::Outcome::Refused)
                    .actor(Some(&claims.sub))
                    .details(serde_json::json!({ "reason": "forbidden", "request": what })),
            );
            Err(forbidden())
        })
    }
}
