//! The key format and its stored form.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Recognisable by secret scanners and by the `/v1` extractor (API key or JWT).
pub const KEY_PREFIX: &str = "sk-studio-";
/// How much of the key is kept in clear to help users tell keys apart.
const SHOWN_PREFIX_CHARS: usize = KEY_PREFIX.len() + 4;

pub struct KeyHasher {
    mac: Hmac<Sha256>,
}

impl KeyHasher {
    pub fn new(secret: &[u8]) -> Self {
        let mac = Hmac::<Sha256>::new_from_slice(secret)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        Self { mac }
    }

    pub fn digest(&self, key: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(key.as_bytes());
        let bytes = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(64);
        for byte in bytes {
            hex.push(char::from(b"0123456789abcdef"[(byte >> 4) as usize]));
            hex.push(char::from(b"0123456789abcdef"[(byte & 15) as usize]));
        }
        hex
    }
}

pub struct GeneratedKey {
    pub secret: String,
    pub prefix: String,
    pub last_four: String,
}

pub fn generate() -> GeneratedKey {
    let secret = format!(
        "{KEY_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(studio_core::secrets::random_bytes(32))
    );
    GeneratedKey {
        prefix: secret[..SHOWN_PREFIX_CHARS].to_owned(),
        last_four: secret[secret.len() - 4..].to_owned(),
        secret,
    }
}

/// Cheap shape check before any hashing or lookup.
pub fn looks_like_key(candidate: &str) -> bool {
    candidate.len() == KEY_PREFIX.len() + 43 && candidate.starts_with(KEY_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_256_bits_and_show_only_prefix_and_last_four() {
        let key = generate();
        assert!(looks_like_key(&key.secret));
        assert_eq!(key.prefix.len(), KEY_PREFIX.len() + 4);
        assert!(key.secret.ends_with(&key.last_four));
        assert_ne!(generate().secret, key.secret);
    }

    #[test]
    fn digests_depend_on_the_server_secret() {
        let a = KeyHasher::new(b"one");
        let b = KeyHasher::new(b"two");
        assert_eq!(a.digest("k"), a.digest("k"));
        assert_ne!(a.digest("k"), b.digest("k"));
        assert_eq!(a.digest("k").len(), 64);
    }
}
