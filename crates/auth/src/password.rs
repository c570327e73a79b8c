//! Password hashing with argon2id at OWASP's parameters, always off the async runtime.

use argon2::{
    password_hash::{phc::PasswordHash, PasswordHasher, PasswordVerifier},
    Algorithm, Argon2, Params, Version,
};

use crate::AuthError;

/// OWASP (2025): argon2id, 19 MiB, 2 iterations, 1 lane.
fn hasher() -> Result<Argon2<'static>, AuthError> {
    let params =
        Params::new(19 * 1024, 2, 1, None).map_err(|e| AuthError::Internal(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub async fn hash(password: String) -> Result<String, AuthError> {
    blocking(move || {
        let hash = hasher()?
            .hash_password(password.as_bytes())
            .map_err(|e| AuthError::Internal(e.to_string()))?;
        Ok(hash.to_string())
    })
    .await
}

/// Checks `password` against `stored`; with no stored hash, checks against a dummy so that
/// an unknown account costs the same time as a wrong password.
pub async fn verify(
    password: String,
    stored: Option<String>,
    dummy: &str,
) -> Result<bool, AuthError> {
    let known = stored.is_some();
    let stored = stored.unwrap_or_else(|| dummy.to_owned());
    blocking(move || {
        let parsed = PasswordHash::new(&stored).map_err(|e| AuthError::Internal(e.to_string()))?;
        let matches = hasher()?
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && matches)
    })
    .await
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AuthError> + Send + 'static,
) -> Result<T, AuthError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AuthError::Internal(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_reject_wrong_passwords() {
        let stored = hash("correct horse".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let dummy = hash("dummy password".into()).await.unwrap();
        assert!(verify("correct horse".into(), Some(stored.clone()), &dummy)
            .await
            .unwrap());
        assert!(!verify("wrong horse".into(), Some(stored), &dummy)
            .await
            .unwrap());
        assert!(!verify("dummy password".into(), None, &dummy).await.unwrap());
    }
}
