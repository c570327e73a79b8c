//! `ApiCaller`: who is calling a `/v1` route — an API key (third-party tools) or a JWT access
//! token (the frontend) in `Authorization: Bearer`. Errors are OpenAI-shaped.

use actix_web::{dev::Payload, http::StatusCode, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use studio_api_keys::{ApiKeyService, KEY_PREFIX};
use studio_auth::AuthService;
use studio_core::Caller;

use super::bearer_token;
use crate::errors::OpenAiError;

/// The authenticated caller; derefs to the [`Caller`] the domain services take.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiCaller(pub Caller);

impl std::ops::Deref for ApiCaller {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.0
    }
}

fn missing() -> OpenAiError {
    OpenAiError::new(
        StatusCode::UNAUTHORIZED,
        "You didn't provide an API key. Send it in an Authorization header: Authorization: Bearer YOUR_KEY.",
    )
    .with_code("missing_api_key")
}

fn invalid() -> OpenAiError {
    OpenAiError::new(StatusCode::UNAUTHORIZED, "Incorrect API key provided.")
        .with_code("invalid_api_key")
}

impl FromRequest for ApiCaller {
    type Error = OpenAiError;
    type Future = LocalBoxFuture<'static, Result<Self, OpenAiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(token) = bearer_token(req) else {
            return Box::pin(async { Err(missing()) });
        };
        if token.starts_with(KEY_PREFIX) {
            let keys = req.app_data::<web::Data<dyn ApiKeyService>>().cloned();
            let token = token.to_owned();
            return Box::pin(async move {
                let keys = keys.ok_or_else(invalid)?;
                match keys.verify(&token).await {
                    Ok(key) => Ok(ApiCaller(Caller {
                        user_id: key.user_id,
                        api_key_id: Some(key.key_id),
                        key_limits: key.limits,
                    })),
                    Err(studio_api_keys::ApiKeyError::Database(error)) => {
                        tracing::error!(%error, "API key verification failed");
                        Err(OpenAiError::new(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "authentication is unavailable",
                        ))
                    }
                    Err(_) => Err(invalid()),
                }
            });
        }
        let claims = req
            .app_data::<web::Data<dyn AuthService>>()
            .and_then(|auth| auth.verify_access_token(token).ok());
        let result = match claims {
            Some(claims) => Ok(ApiCaller(Caller {
                user_id: claims.sub,
                api_key_id: None,
                key_limits: Default::default(),
            })),
            None => Err(invalid()),
        };
        Box::pin(async move { result })
    }
}
