//! Apple's client secret: an ES256 JWT signed with the team's key, valid for at most six months.

use super::config::AppleSigning;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde::Serialize;

use super::OAuthError;

/// How long a generated secret is valid (Apple allows up to six months).
pub const LIFETIME_SECS: i64 = 60 * 60 * 24 * 30;

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

/// Signs a client secret for `client_id` (the Services ID), addressed to Apple's issuer.
pub fn client_secret(
    signing: &AppleSigning,
    client_id: &str,
    audience: &str,
    now: i64,
) -> Result<String, OAuthError> {
    let key = EncodingKey::from_ec_pem(signing.private_key_pem.as_bytes())
        .map_err(|e| OAuthError::Internal(format!("APPLE_PRIVATE_KEY is not an EC key: {e}")))?;
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(signing.key_id.clone());
    let claims = Claims {
        iss: &signing.team_id,
        sub: client_id,
        aud: audience,
        iat: now,
        exp: now + LIFETIME_SECS,
    };
    encode(&header, &claims, &key).map_err(|e| OAuthError::Internal(e.to_string()))
}
