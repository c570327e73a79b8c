//! Proving an address and resetting a password by mail, under `/api/auth`.

use actix_web::{web, HttpResponse};
use studio_auth::{AuthService, EmailToken, ForgotPassword, ResetPassword};

use crate::{
    errors::ApiError,
    extractors::{Audit, AuthUser, Client},
};

type Auth = web::Data<dyn AuthService>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/auth/verify-email").route(web::post().to(verify)))
        .service(web::resource("/api/auth/verify-email/resend").route(web::post().to(resend)))
        .service(web::resource("/api/auth/password/forgot").route(web::post().to(forgot)))
        .service(web::resource("/api/auth/password/reset").route(web::post().to(reset)));
}

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

async fn resend(auth: Auth, user: AuthUser) -> Result<HttpResponse, ApiError> {
    auth.resend_verification(&user.0).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// 202 whether or not the address has an account, and just as fast: the work is in the
/// background.
async fn forgot(
    auth: Auth,
    client: Client,
    body: web::Json<ForgotPassword>,
) -> Result<HttpResponse, ApiError> {
    auth.forgot_password(&body.email, &client.0)?;
    Ok(HttpResponse::Accepted().finish())
}

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
