//! JWT access tokens: HS256 only, with issuer, audience, expiry and the session they belong to.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::AuthError;

pub const ISSUER: &str = "studio";
pub const AUDIENCE: &str = "studio-api";

/// The claims of an access token. `sid` is the sign-in session, so that logging out or
/// revoking a device invalidates its access tokens too.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub sub: String,
    pub sid: String,
    pub jti: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// `user` or `admin` when the token was issued; tokens from before roles existed are users.
    #[serde(default = "user_role")]
    pub role: String,
}

fn user_role() -> String {
    "user".to_owned()
}

impl AccessClaims {
    pub fn is_admin(&self) -> bool {
        crate::Role::from_stored(&self.role) == crate::Role::Admin
    }
}

pub struct AccessTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub lifetime_secs: i64,
}

impl AccessTokens {
    pub fn new(secret: &[u8], lifetime_minutes: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "iat", "nbf", "sub", "iss", "aud"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            lifetime_secs: lifetime_minutes * 60,
        }
    }

    pub fn issue(&self, user_id: &str, session_id: &str, role: &str) -> Result<String, AuthError> {
        let now = chrono::Utc::now().timestamp();
        let claims = AccessClaims {
            sub: user_id.to_owned(),
            sid: session_id.to_owned(),
            jti: uuid::Uuid::new_v4().simple().to_string(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now,
            nbf: now,
            exp: now + self.lifetime_secs,
            role: role.to_owned(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AuthError::Internal(e.to_string()))
    }

    /// Checks signature, algorithm, issuer, audience and time; no database involved.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, AuthError> {
        decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| AuthError::InvalidToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_other_secrets_do_not() {
        let tokens = AccessTokens::new(b"0123456789abcdef0123456789abcdef", 15);
        let token = tokens.issue("user", "session", "admin").unwrap();
        let claims = tokens.verify(&token).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.sid.as_str()),
            ("user", "session")
        );
        assert_eq!(claims.exp - claims.iat, 15 * 60);
        assert!(claims.is_admin());
        let other = AccessTokens::new(b"another-secret-another-secret-xx", 15);
        assert!(other.verify(&token).is_err());
    }
}
