//! Expiring media URLs: `<media base>images/<id>[/thumbnail]?expires=<unix>&signature=<mac>`,
//! an HMAC-SHA-256 under the server secret, so the link works in an `<img>` tag without a
//! bearer token, for one image only, until it expires.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{storage::Variant, ImageError};

type HmacSha256 = Hmac<Sha256>;

/// Kept apart from other MACs made with the same secret (API key digests).
const DOMAIN: &[u8] = b"studio media url v1";

#[derive(Clone)]
pub struct UrlSigner {
    /// Keyed once; cloned per URL.
    mac: HmacSha256,
    ttl_secs: u64,
}

fn variant_name(variant: Variant) -> &'static str {
    match variant {
        Variant::Image => "image",
        Variant::Thumbnail => "thumbnail",
    }
}

impl UrlSigner {
    pub fn new(secret: &[u8], ttl_secs: u64) -> Self {
        let key = |bytes: &[u8]| {
            HmacSha256::new_from_slice(bytes)
                .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"))
        };
        let mut derive = key(secret);
        derive.update(DOMAIN);
        Self {
            mac: key(&derive.finalize().into_bytes()),
            ttl_secs,
        }
    }

    fn mac(&self, id: &str, variant: Variant, expires: i64) -> HmacSha256 {
        let mut mac = self.mac.clone();
        mac.update(format!("{id}\n{}\n{expires}", variant_name(variant)).as_bytes());
        mac
    }

    /// A URL under `base` (which ends with `/`) valid for the configured time from `now`.
    pub fn url(&self, base: &str, id: &str, variant: Variant, now: i64) -> String {
        let expires = now.saturating_add(self.ttl_secs as i64);
        let signature =
            URL_SAFE_NO_PAD.encode(self.mac(id, variant, expires).finalize().into_bytes());
        let suffix = match variant {
            Variant::Image => "",
            Variant::Thumbnail => "/thumbnail",
        };
        format!("{base}images/{id}{suffix}?expires={expires}&signature={signature}")
    }

    /// Checks a URL's signature and expiry; returns the expiry (for `Cache-Control`).
    pub fn verify(
        &self,
        id: &str,
        variant: Variant,
        expires: &str,
        signature: &str,
        now: i64,
    ) -> Result<i64, ImageError> {
        let expires: i64 = expires.parse().map_err(|_| ImageError::Forbidden)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| ImageError::Forbidden)?;
        // Constant-time comparison inside `verify_slice`.
        self.mac(id, variant, expires)
            .verify_slice(&signature)
            .map_err(|_| ImageError::Forbidden)?;
        if expires <= now {
            return Err(ImageError::Forbidden);
        }
        Ok(expires)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(url: &str) -> (String, String) {
        let query = url.split_once('?').unwrap().1;
        let (expires, signature) = query.split_once('&').unwrap();
        (
            expires.trim_start_matches("expires=").to_owned(),
            signature.trim_start_matches("signature=").to_owned(),
        )
    }

    #[test]
    fn a_url_verifies_for_its_image_and_variant_until_it_expires() {
        let signer = UrlSigner::new(b"secret", 60);
        let url = signer.url("http://s/media/", "id-1", Variant::Image, 1000);
        assert!(url.starts_with("http://s/media/images/id-1?expires=1060&signature="));
        let (expires, signature) = parts(&url);
        assert_eq!(
            signer
                .verify("id-1", Variant::Image, &expires, &signature, 1059)
                .unwrap(),
            1060
        );
        let check = |id, variant, expires: &str, signature: &str, now| {
            matches!(
                signer.verify(id, variant, expires, signature, now),
                Err(ImageError::Forbidden)
            )
        };
        assert!(
            check("id-1", Variant::Image, &expires, &signature, 1060),
            "expired"
        );
        assert!(
            check("id-2", Variant::Image, &expires, &signature, 1000),
            "another image"
        );
        assert!(
            check("id-1", Variant::Thumbnail, &expires, &signature, 1000),
            "other variant"
        );
        assert!(
            check("id-1", Variant::Image, "99999", &signature, 1000),
            "extended expiry"
        );
        assert!(
            check("id-1", Variant::Image, &expires, "AAAA", 1000),
            "tampered"
        );
        assert!(
            check("id-1", Variant::Image, &expires, "%%%", 1000),
            "not base64"
        );
        assert!(
            check("id-1", Variant::Image, "soon", &signature, 1000),
            "not a number"
        );
        let other = UrlSigner::new(b"another secret", 60);
        let (_, foreign) = parts(&other.url("http://s/media/", "id-1", Variant::Image, 1000));
        assert!(
            check("id-1", Variant::Image, &expires, &foreign, 1000),
            "foreign key"
        );
    }
}
