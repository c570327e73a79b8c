//! `/api/auth/*`: sign-up, sign-in, tokens, profile and signed-in devices.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use studio_audit::{AuditEvent, AuditLog, Outcome};
use studio_auth::{
    AuthResponse, AuthService, ChangePassword, Credentials, ProfileUpdate, Registration,
    SessionInfo, User, UserAdmin,
};

use crate::{
    errors::internal,
    errors::ApiError,
    extractors::{Audit, AuthUser, Client},
    openapi::responses::{
        Body, Busy, Conflict, Forbidden, Internal, Invalid, Jwt, Limited, Missing,
    },
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

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    register,
    login,
    refresh,
    logout,
    me,
    update_me,
    change_password,
    sessions,
    revoke_session,
    activity
))]
pub(crate) struct Doc;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct RefreshBody {
    refresh_token: String,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct LogoutBody {
    #[serde(default)]
    refresh_token: Option<String>,
}

/// Creates an account (and mails a verification link) and signs it in.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = Registration,
    responses((status = 201, description = "Signed up and in", body = AuthResponse),
        Body, Conflict, Limited, Internal, Busy))]
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

/// Signs in with email and password. Both outcomes are audited; a failure names the account it
/// was aimed at (if there is one) and never the password.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body(content = Credentials,
        example = json!({"email": "ada@example.com", "password": "correct horse battery"})),
    responses((status = 200, description = "Signed in", body = AuthResponse),
        Body, Jwt, Forbidden,
        Limited, Internal, Busy))]
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

/// Trades a refresh token for a new pair (the old one is spent).
#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth", request_body = RefreshBody,
    responses((status = 200, description = "A new token pair", body = AuthResponse),
        Body, Jwt, Internal))]
async fn refresh(auth: Auth, body: web::Json<RefreshBody>) -> Result<HttpResponse, ApiError> {
    let response = auth.refresh(&body.refresh_token).await?;
    Ok(HttpResponse::Ok().json(response))
}

/// Either token will do: the access token in `Authorization`, or `{refreshToken}` in the body
/// (so that an expired access token does not keep a refresh token alive). The body is
/// optional, so it is read as bytes and parsed only when present.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    request_body(content = Option<LogoutBody>, description = "Optional: the refresh token"),
    security(("jwt" = []), ()),
    responses((status = 204, description = "Signed out"), Invalid, Jwt, Internal))]
async fn logout(
    auth: Auth,
    user: Result<AuthUser, ApiError>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: LogoutBody = if body.iter().all(u8::is_ascii_whitespace) {
        LogoutBody::default()
    } else {
        // `null` is no body too (the document says the body may be null).
        serde_json::from_slice::<Option<LogoutBody>>(&body)
            .map_err(|e| {
                ApiError::bad_request("bad_request", format!("invalid request body: {e}"))
            })?
            .unwrap_or_default()
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

/// The caller's profile.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", operation_id = "getMe", security(("jwt" = [])),
    responses((status = 200, description = "The caller", body = User), Jwt, Missing, Internal))]
async fn me(auth: Auth, user: AuthUser) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(auth.user(user.user_id()).await?))
}

/// Changes the caller's name.
#[utoipa::path(patch, path = "/api/auth/me", tag = "auth", operation_id = "updateMe", security(("jwt" = [])),
    request_body = ProfileUpdate,
    responses((status = 200, description = "The updated profile", body = User),
        Body, Jwt, Missing, Internal))]
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

/// Sets a new password and ends the caller's other sessions.
#[utoipa::path(post, path = "/api/auth/password", tag = "auth", operation_id = "changePassword", security(("jwt" = [])),
    request_body = ChangePassword,
    responses((status = 204, description = "Changed"), Body, Jwt, Missing, Limited, Internal, Busy))]
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

/// The caller's signed-in devices.
#[utoipa::path(get, path = "/api/auth/sessions", tag = "auth", operation_id = "listAuthSessions", security(("jwt" = [])),
    responses((status = 200, description = "Every live session", body = Vec<SessionInfo>),
        Jwt, Internal))]
async fn sessions(auth: Auth, user: AuthUser) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(auth.sessions(&user.0).await?))
}

/// Signs a device out.
#[utoipa::path(delete, path = "/api/auth/sessions/{id}", tag = "auth", operation_id = "revokeAuthSession", security(("jwt" = [])),
    params(("id" = String, Path, description = "A session id")),
    responses((status = 204, description = "Revoked"), Jwt, Missing, Internal))]
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
#[utoipa::path(get, path = "/api/auth/activity", tag = "auth", operation_id = "listActivity", security(("jwt" = [])),
    params(Paging),
    responses((status = 200, description = "A page of events", body = studio_core::Page<AuditEvent>),
        Invalid, Jwt, Internal))]
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
