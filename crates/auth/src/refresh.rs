//! Opaque refresh tokens: 256 random bits, stored only as a SHA-256 digest.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};

pub fn generate() -> String {
    format!(
        "rt_{}",
        URL_SAFE_NO_PAD.encode(studio_core::secrets::random_bytes(32))
    )
}

/// The stored form. A plain digest is enough: the token has 256 bits of entropy.
pub fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed_deterministically() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert!(a.len() >= 43 + 3);
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&b));
        assert_eq!(digest(&a).len(), 64);
    }
}
