//! Proving an address and resetting a password by mail, under `/api/auth`.

use actix_web::{web, HttpResponse};
use studio_auth::{AuthService, EmailToken, ForgotPassword, ResetPassword, User};

use crate::{
    errors::ApiError,
    extractors::{Audit, AuthUser, Client},
    openapi::responses::{Body, Busy, Conflict, Internal, Jwt, Limited},
};

type Auth = web::Data<dyn AuthService>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/auth/verify-email").route(web::post().to(verify)))
        .service(web::resource("/api/auth/verify-email/resend").route(web::post().to(resend)))
        .service(web::resource("/api/auth/password/forgot").route(web::post().to(forgot)))
        .service(web::resource("/api/auth/password/reset").route(web::post().to(reset)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(verify, resend, forgot, reset))]
pub(crate) struct Doc;

/// Confirms the address with the token of the mailed link.
#[utoipa::path(post, path = "/api/auth/verify-email", tag = "auth", operation_id = "verifyEmail", request_body = EmailToken,
    responses((status = 200, description = "Verified: the user", body = User), Body, Internal))]
async fn verify(
    auth: Auth,
    audit: Audit,
    body: web::Json<EmailToken>,
) -> Result<HttpResponse, ApiError> {
    let result = auth.verify_email(&body.token).await.map_err(ApiError::from);
    let user = result.as_ref().ok().map(|u| u.id.as_str());
    audit.outcome("auth.email.verify", user, user, &result);
    Ok(HttpResponse::Ok().json(result?))
}

/// Mails a new verification link.
#[utoipa::path(post, path = "/api/auth/verify-email/resend", tag = "auth", operation_id = "resendVerification",
    security(("jwt" = [])),
    responses((status = 202, description = "A link is on its way"), Jwt, Conflict, Limited,
        Internal))]
async fn resend(auth: Auth, user: AuthUser) -> Result<HttpResponse, ApiError> {
    auth.resend_verification(&user.0).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// 202 whether or not the address has an account, and just as fast: the work is in the
/// background.
#[utoipa::path(post, path = "/api/auth/password/forgot", tag = "auth", operation_id = "forgotPassword",
    request_body = ForgotPassword,
    responses((status = 202, description = "A reset link is mailed if the account exists"),
        Body, Limited))]
async fn forgot(
    auth: Auth,
    client: Client,
    body: web::Json<ForgotPassword>,
) -> Result<HttpResponse, ApiError> {
    auth.forgot_password(&body.email, &client.0)?;
    Ok(HttpResponse::Accepted().finish())
}

/// Sets the password with the token of the mailed link, and ends every session.
#[utoipa::path(post, path = "/api/auth/password/reset", tag = "auth", operation_id = "resetPassword",
    request_body = ResetPassword,
    responses((status = 204, description = "The password is set"), Body, Internal, Busy))]
async fn reset(
    auth: Auth,
    audit: Audit,
    body: web::Json<ResetPassword>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let result = auth
        .reset_password(&body.token, body.password)
        .await
        .map_err(ApiError::from);
    let user = result.as_ref().ok().map(String::as_str);
    audit.outcome("auth.password.reset", user, user, &result);
    result?;
    Ok(HttpResponse::NoContent().finish())
}
