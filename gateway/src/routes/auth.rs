//! `/api/auth/*`: sign-up, sign-in, tokens, profile and signed-in devices.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use studio_audit::{AuditEvent, AuditLog, Outcome};
use studio_auth::{
    AuthService, ChangePassword, Credentials, ProfileUpdate, Registration, UserAdmin,
};

use crate::{
    errors::internal,
    errors::ApiError,
    extractors::{Audit, AuthUser, Client},
    routes::admin::Paging,
};

type Auth = web::Data<dyn AuthService>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/auth")
            .service(web::resource("/register").route(web::post().to(register)))
            .service(web::resource("/login").route(web::post().to(login)))
            .service(web::resource("/refresh").route(web::post().to(refresh)))
            .service(web::resource("/logout").route(web::post().to(logout)))
            .service(
                web::resource("/me")
                    .route(web::get().to(me))
                    .route(web::patch().to(update_me)),
            )
            .service(web::resource("/password").route(web::post().to(change_password)))
            .service(web::resource("/sessions").route(web::get().to(sessions)))
            .service(web::resource("/activity").route(web::get().to(activity)))
            .service(web::resource("/sessions/{id}").route(web::delete().to(revoke_session))),
    );
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefreshBody {
    refresh_token: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct LogoutBody {
    #[serde(default)]
    refresh_token: Option<String>,
}

async fn register(
    auth: Auth,
    client: Client,
    audit: Audit,
    body: web::Json<Registration>,
) -> Result<HttpResponse, ApiError> {
    let result = auth
        .register(body.into_inner(), client.0)
        .await
        .map_err(ApiError::from);
    let user = result.as_ref().ok().map(|r| r.user.id.as_str());
    audit.outcome("auth.sign_up", user, user, &result);
    Ok(HttpResponse::Created().json(result?))
}

/// Both outcomes are audited; a failure names the account it was aimed at (if there is one)
/// and never the password.
async fn login(
    auth: Auth,
    admin: web::Data<dyn UserAdmin>,
    client: Client,
    audit: Audit,
    body: web::Json<Credentials>,
) -> Result<HttpResponse, ApiError> {
    let credentials = body.into_inner();
    let email = credentials.email.clone();
    match auth.login(credentials, client.0).await {
        Ok(response) => {
            let user = Some(response.user.id.as_str());
            audit.ok("auth.sign_in", user, user);
            Ok(HttpResponse::Ok().json(response))
        }
        Err(error) => {
            let error = ApiError::from(error);
            let target = admin.user_by_email(&email).await.ok().flatten();
            audit.record(
                AuditEvent::new("auth.sign_in", Outcome::Refused)
                    .subject(target.as_ref().map(|u| u.id.as_str()))
                    .details(serde_json::json!({
                        "reason": error.code,
                        "email": email.chars().take(320).collect::<String>(),
                    })),
            );
            Err(error)
        }
    }
}

async fn refresh(auth: Auth, body: web::Json<RefreshBody>) -> Result<HttpResponse, ApiError> {
    let response = auth.refresh(&body.refresh_token).await?;
    Ok(HttpResponse::Ok().json(response))
}

/// Either token will do: the access token in `Authorization`, or `{refreshToken}` in the body
/// (so that an expired access token does not keep a refresh token alive). The body is
/// optional, so it is read as bytes and parsed only when present.
async fn logout(
    auth: Auth,
    user: Result<AuthUser, ApiError>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: LogoutBody = if body.iter().all(u8::is_ascii_whitespace) {
        LogoutBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request("bad_request", format!("invalid request body: {e}"))
        })?
    };
    let caller = match (user, &body.refresh_token) {
        (Ok(user), _) => Some(user.0),
        (Err(_), Some(_)) => None,
        (Err(error), None) => return Err(error),
    };
    auth.logout(caller.as_ref(), body.refresh_token.as_deref())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn me(auth: Auth, user: AuthUser) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(auth.user(user.user_id()).await?))
}

async fn update_me(
    auth: Auth,
    user: AuthUser,
    body: web::Json<ProfileUpdate>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        auth.update_profile(user.user_id(), body.into_inner())
            .await?,
    ))
}

async fn change_password(
    auth: Auth,
    user: AuthUser,
    client: Client,
    audit: Audit,
    body: web::Json<ChangePassword>,
) -> Result<HttpResponse, ApiError> {
    let result = auth
        .change_password(&user.0, body.into_inner(), client.0)
        .await
        .map_err(ApiError::from);
    let id = Some(user.user_id());
    audit.outcome("auth.password.change", id, id, &result);
    result?;
    Ok(HttpResponse::NoContent().finish())
}

async fn sessions(auth: Auth, user: AuthUser) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(auth.sessions(&user.0).await?))
}

async fn revoke_session(
    auth: Auth,
    user: AuthUser,
    audit: Audit,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.revoke_session(&user.0, &id).await?;
    audit.record(
        AuditEvent::new("auth.session.revoke", Outcome::Succeeded)
            .actor(Some(user.user_id()))
            .subject(Some(user.user_id()))
            .details(serde_json::json!({ "sessionId": id.as_str() })),
    );
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's own security events, newest first: what was done to the account and by it.
async fn activity(
    log: web::Data<AuditLog>,
    user: AuthUser,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let page = log
        .store()
        .activity(user.user_id(), &paging.request()?)
        .await
        .map_err(|e| internal(&e))?;
    Ok(HttpResponse::Ok().json(page))
}
