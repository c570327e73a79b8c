//! The credential of an `Authorization: Bearer <token>` header, shared by `AuthUser` (JWT) and
//! `ApiCaller` (API key or JWT).

use actix_web::{http::header, HttpRequest};

/// The token of an `Authorization: Bearer <token>` header, if there is one.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}
