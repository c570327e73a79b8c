//! `AuthUser`: the caller of an `/api` route, from a JWT access token in `Authorization: Bearer`.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use studio_auth::{AccessClaims, AuthError, AuthService};

use super::bearer_token;
use crate::errors::ApiError;

#[derive(Debug, Clone)]
pub struct AuthUser(pub AccessClaims);

impl AuthUser {
    pub fn user_id(&self) -> &str {
        &self.0.sub
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(auth) = req.app_data::<web::Data<dyn AuthService>>() else {
            return ready(Err(ApiError::internal()));
        };
        let result = match bearer_token(req) {
            None => Err(AuthError::MissingToken.into()),
            Some(token) => auth
                .verify_access_token(token)
                .map(AuthUser)
                .map_err(ApiError::from),
        };
        ready(result)
    }
}
