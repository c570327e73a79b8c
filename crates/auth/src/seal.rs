//! Sealing a rotated refresh token's successor pair under the token itself.
//!
//! The rotation grace window must hand a token presented twice the *same* successor, so the
//! successor has to be recoverable; but a raw refresh token must never sit in the database. The
//! successor is therefore stored XORed with a keystream that only the presented token can
//! derive (HMAC-SHA256 keyed by it, in counter mode). The database holds only the token's
//! SHA-256 digest, from which the key cannot be had; each key seals exactly one message, and the
//! opened successor is checked against its stored digest before it is used.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const CONTEXT: &[u8] = b"studio refresh successor v1";

fn keystream(token: &str, len: usize) -> Vec<u8> {
    let mut stream = Vec::with_capacity(len + 32);
    let mut counter: u32 = 0;
    while stream.len() < len {
        // HMAC accepts keys of any length, so this cannot fail; an empty stream would only make
        // `open` fail its digest check.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(token.as_bytes()) else {
            return stream;
        };
        mac.update(CONTEXT);
        mac.update(&counter.to_be_bytes());
        stream.extend_from_slice(&mac.finalize().into_bytes());
        counter += 1;
    }
    stream.truncate(len);
    stream
}

/// The successor `refresh` and `access` tokens, sealed under `presented`.
pub fn seal(presented: &str, refresh: &str, access: &str) -> String {
    let plain = format!("{refresh}\n{access}");
    let sealed: Vec<u8> = plain
        .bytes()
        .zip(keystream(presented, plain.len()))
        .map(|(p, k)| p ^ k)
        .collect();
    URL_SAFE_NO_PAD.encode(sealed)
}

/// The `(refresh, access)` pair sealed under `presented`, if `sealed` opens with it.
pub fn open(presented: &str, sealed: &str) -> Option<(String, String)> {
    let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
    let plain: Vec<u8> = bytes
        .iter()
        .zip(keystream(presented, bytes.len()))
        .map(|(c, k)| c ^ k)
        .collect();
    let plain = String::from_utf8(plain).ok()?;
    let (refresh, access) = plain.split_once('\n')?;
    Some((refresh.to_owned(), access.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_presented_token_opens_its_successor() {
        let sealed = seal("rt_spent", "rt_next", "eyJ.access.jwt");
        assert!(!sealed.contains("rt_next"));
        assert_eq!(
            open("rt_spent", &sealed),
            Some(("rt_next".to_owned(), "eyJ.access.jwt".to_owned()))
        );
        assert_ne!(
            open("rt_other", &sealed),
            Some(("rt_next".to_owned(), "eyJ.access.jwt".to_owned()))
        );
    }
}
