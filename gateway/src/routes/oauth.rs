//! Sign-in with providers: the redirect out, the callback in, the one-time code exchange,
//! and the user's linked identities.

use actix_web::{
    cookie::{time::Duration as CookieDuration, Cookie, SameSite},
    http::{header, StatusCode},
    web, HttpRequest, HttpResponse,
};
use serde::Deserialize;
use studio_audit::{AuditEvent, Outcome};
use studio_auth::oauth::{
    CallbackParams, IdentityInfo, Linked, OAuthError, OAuthService, ProviderInfo,
};
use studio_auth::AuthResponse;
use studio_core::Config;

use crate::{
    errors::ApiError,
    extractors::{request_origin, Audit, AuthUser, Client},
    negotiate::prefers_json,
    openapi::responses::{Body, Conflict, Forbidden, Internal, Invalid, Jwt, Limited, Missing},
};

type OAuth = web::Data<dyn OAuthService>;

/// Binds a flow to the browser that started it. `SameSite=None` because Apple's callback is a
/// cross-site form POST; `Secure` is required with it.
const BROWSER_COOKIE: &str = "studio_oauth";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/auth/providers").route(web::get().to(providers)))
        .service(web::resource("/api/auth/oauth/exchange").route(web::post().to(exchange)))
        .service(web::resource("/api/auth/oauth/{provider}/start").route(web::get().to(start)))
        .service(
            web::resource("/api/auth/oauth/{provider}/callback")
                .route(web::get().to(callback_get))
                .route(web::post().to(callback_post)),
        )
        .service(web::resource("/api/auth/identities").route(web::get().to(identities)))
        .service(web::resource("/api/auth/identities/{id}").route(web::delete().to(unlink)));
}

/// The browser-binding cookie; the same attributes when set and when cleared, or browsers
/// keep the old one.
fn browser_cookie(value: String, max_age: CookieDuration) -> Cookie<'static> {
    Cookie::build(BROWSER_COOKIE, value)
        .path("/api/auth/oauth")
        .http_only(true)
        .secure(true)
        .same_site(SameSite::None)
        .max_age(max_age)
        .finish()
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    providers,
    exchange,
    start,
    callback_get,
    callback_post,
    identities,
    unlink
))]
pub(crate) struct Doc;

/// Where the browser goes to sign in (when JSON was asked for).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct Authorization {
    authorization_url: String,
}

/// The enabled sign-in providers.
#[utoipa::path(get, path = "/api/auth/providers", tag = "oauth", operation_id = "listProviders",
    responses((status = 200, description = "The providers", body = Vec<ProviderInfo>)))]
async fn providers(oauth: OAuth) -> HttpResponse {
    HttpResponse::Ok().json(oauth.providers())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct StartQuery {
    /// A path of the frontend to return to after signing in (`/` when absent).
    redirect_to: Option<String>,
}

fn callback_url(req: &HttpRequest, config: &Config, provider: &str) -> String {
    let base = config
        .public_url
        .clone()
        .unwrap_or_else(|| request_origin(req, &config.trusted_proxies));
    format!("{base}/api/auth/oauth/{provider}/callback")
}

/// Starts a sign-in: a 302 to the provider, or `{authorizationUrl}` when `Accept` prefers JSON.
/// Sets the cookie that binds the flow to this browser.
#[utoipa::path(get, path = "/api/auth/oauth/{provider}/start", tag = "oauth", operation_id = "startOAuth",
    params(("provider" = String, Path, description = "A provider id"), StartQuery),
    responses(
        (status = 302, description = "To the provider's sign-in page",
            headers(("Location" = String, description = "The provider's authorization URL"))),
        (status = 200, description = "The URL, for a script", body = Authorization),
        Invalid, Missing, Limited, Internal,
        crate::openapi::responses::ProviderDown))]
async fn start(
    req: HttpRequest,
    client: Client,
    oauth: OAuth,
    config: web::Data<Config>,
    provider: web::Path<String>,
    query: web::Query<StartQuery>,
) -> Result<HttpResponse, ApiError> {
    let redirect_uri = callback_url(&req, &config, &provider);
    let flow = oauth
        .start(
            &provider,
            query.redirect_to.as_deref(),
            &redirect_uri,
            &client.0,
        )
        .await
        .map_err(ApiError::from)?;
    let cookie = browser_cookie(flow.browser_binding, CookieDuration::minutes(10));
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let mut response = if prefers_json(accept) {
        HttpResponse::Ok().json(Authorization {
            authorization_url: flow.authorization_url,
        })
    } else {
        HttpResponse::Found()
            .insert_header((header::LOCATION, flow.authorization_url))
            .finish()
    };
    response
        .add_cookie(&cookie)
        .map_err(|_| ApiError::internal())?;
    Ok(response)
}

/// The provider's return: a 302 to `FRONTEND_URL/auth/callback?code=…` (or `?error=…`).
#[utoipa::path(get, path = "/api/auth/oauth/{provider}/callback", tag = "oauth", operation_id = "oauthCallback",
    params(("provider" = String, Path, description = "A provider id"), CallbackParams),
    responses((status = 302, description = "Back to the frontend",
        headers(("Location" = String, description = "`FRONTEND_URL/auth/callback?code=…`"))),
        Invalid, Missing, Internal))]
async fn callback_get(
    req: HttpRequest,
    oauth: OAuth,
    config: web::Data<Config>,
    provider: web::Path<String>,
    params: web::Query<CallbackParams>,
) -> Result<HttpResponse, ApiError> {
    finish(
        req,
        oauth,
        config,
        provider.into_inner(),
        params.into_inner(),
    )
    .await
}

/// The provider's return as a form post (Apple): as the `GET`.
#[utoipa::path(post, path = "/api/auth/oauth/{provider}/callback", tag = "oauth", operation_id = "oauthCallbackForm",
    params(("provider" = String, Path, description = "A provider id")),
    request_body(content = CallbackParams, content_type = "application/x-www-form-urlencoded"),
    responses((status = 302, description = "Back to the frontend",
        headers(("Location" = String, description = "`FRONTEND_URL/auth/callback?code=…`"))),
        Body, Missing, Internal))]
async fn callback_post(
    req: HttpRequest,
    oauth: OAuth,
    config: web::Data<Config>,
    provider: web::Path<String>,
    params: web::Form<CallbackParams>,
) -> Result<HttpResponse, ApiError> {
    finish(
        req,
        oauth,
        config,
        provider.into_inner(),
        params.into_inner(),
    )
    .await
}

/// Sends the browser back to the frontend with a one-time code (or an error code): no token
/// ever travels in a URL.
async fn finish(
    req: HttpRequest,
    oauth: OAuth,
    config: web::Data<Config>,
    provider: String,
    params: CallbackParams,
) -> Result<HttpResponse, ApiError> {
    let audit = Audit::from_request_parts(&req).ok_or_else(ApiError::internal)?;
    let binding = req.cookie(BROWSER_COOKIE).map(|c| c.value().to_owned());
    let mut target = url::Url::parse(&format!("{}/auth/callback", config.frontend_url))
        .map_err(|_| ApiError::internal())?;
    match oauth.callback(&provider, params, binding.as_deref()).await {
        Ok(outcome) => {
            let action = match outcome.linked {
                Linked::Known => None,
                Linked::Linked | Linked::Created => Some("auth.oauth.link"),
                Linked::TakenOver => Some("auth.oauth.takeover"),
            };
            if let Some(action) = action {
                let user = Some(outcome.user_id.as_str());
                audit.record(
                    AuditEvent::new(action, Outcome::Succeeded)
                        .actor(user)
                        .subject(user)
                        .details(serde_json::json!({ "provider": provider })),
                );
            }
            target
                .query_pairs_mut()
                .append_pair("code", &outcome.code)
                .append_pair("redirectTo", &outcome.redirect_to);
        }
        Err(OAuthError::UnknownProvider) => return Err(OAuthError::UnknownProvider.into()),
        Err(error) => {
            tracing::warn!(%error, provider, "OAuth sign-in refused");
            audit.record(
                AuditEvent::new("auth.oauth.callback", Outcome::Refused)
                    .details(serde_json::json!({ "provider": provider, "reason": error.code() })),
            );
            target.query_pairs_mut().append_pair("error", error.code());
        }
    }
    let expired = browser_cookie(String::new(), CookieDuration::ZERO);
    let mut response = HttpResponse::build(StatusCode::FOUND)
        .insert_header((header::LOCATION, target.to_string()))
        .finish();
    response
        .add_cookie(&expired)
        .map_err(|_| ApiError::internal())?;
    Ok(response)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ExchangeBody {
    /// The one-time code of the callback (single use, 60 seconds).
    code: String,
}

/// Trades the callback's one-time code for tokens, as a login does.
#[utoipa::path(post, path = "/api/auth/oauth/exchange", tag = "oauth", operation_id = "exchangeOAuthCode", request_body = ExchangeBody,
    responses((status = 200, description = "Signed in", body = AuthResponse),
        Body, Jwt, Forbidden, Internal))]
async fn exchange(
    oauth: OAuth,
    client: Client,
    audit: Audit,
    body: web::Json<ExchangeBody>,
) -> Result<HttpResponse, ApiError> {
    let result = oauth
        .exchange(&body.code, client.0)
        .await
        .map_err(ApiError::from);
    let user = result.as_ref().ok().map(|r| r.user.id.as_str());
    audit.outcome("auth.oauth.sign_in", user, user, &result);
    Ok(HttpResponse::Ok().json(result?))
}

/// The providers linked to the caller's account.
#[utoipa::path(get, path = "/api/auth/identities", tag = "oauth", operation_id = "listIdentities", security(("jwt" = [])),
    responses((status = 200, description = "Linked identities", body = Vec<IdentityInfo>),
        Jwt, Internal))]
async fn identities(oauth: OAuth, user: AuthUser) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(oauth.identities(user.user_id()).await?))
}

/// Unlinks a provider; the last way to sign in cannot be unlinked (409).
#[utoipa::path(delete, path = "/api/auth/identities/{id}", tag = "oauth", operation_id = "unlinkIdentity", security(("jwt" = [])),
    params(("id" = String, Path, description = "An identity id")),
    responses((status = 204, description = "Unlinked"), Jwt, Missing, Conflict, Internal))]
async fn unlink(
    oauth: OAuth,
    user: AuthUser,
    audit: Audit,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let result = oauth
        .unlink(user.user_id(), &id)
        .await
        .map_err(ApiError::from);
    let me = Some(user.user_id());
    audit.outcome("auth.oauth.unlink", me, me, &result);
    result?;
    Ok(HttpResponse::NoContent().finish())
}
