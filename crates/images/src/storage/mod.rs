//! Where image files live: behind a trait, on the local file system (the default) or in
//! S3-compatible object storage. Keys are built only from a content digest and a fixed
//! extension, so no user input can reach a path.

mod local;
mod s3;

pub use local::LocalStorage;
pub use s3::{S3Settings, S3Storage};

use async_trait::async_trait;
use bytes::Bytes;

use crate::decode::Format;

/// Files larger than this are not read back (no stored image comes near it).
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StorageError(pub String);

/// A stored file's name: `images/<sha256>.<ext>` or `thumbs/<sha256>.jpg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaKey(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Image,
    Thumbnail,
}

impl Variant {
    pub fn folder(self) -> &'static str {
        match self {
            Variant::Image => "images",
            Variant::Thumbnail => "thumbs",
        }
    }
}

impl MediaKey {
    pub fn new(variant: Variant, digest: &str, format: Format) -> Option<Self> {
        is_digest(digest).then(|| {
            Self(format!(
                "{}/{digest}.{}",
                variant.folder(),
                format.extension()
            ))
        })
    }

    /// Re-checks a name read back from the database before it is used as a path.
    pub fn parse(name: &str) -> Option<Self> {
        let (folder, file) = name.split_once('/')?;
        let variant = match folder {
            "images" => Variant::Image,
            "thumbs" => Variant::Thumbnail,
            _ => return None,
        };
        let (digest, ext) = file.split_once('.')?;
        Self::new(variant, digest, Format::from_extension(ext)?)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digest part, used as the file's `ETag`.
    pub fn digest(&self) -> &str {
        let file = self.0.rsplit('/').next().unwrap_or_default();
        file.split('.').next().unwrap_or_default()
    }

    pub fn format(&self) -> Option<Format> {
        Format::from_extension(self.0.rsplit('.').next()?)
    }
}

fn is_digest(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[async_trait]
pub trait MediaStorage: Send + Sync {
    /// Stores `bytes` under `key` unless a file is already there (same name, same bytes).
    /// Returns whether this call created it, so a failed generation removes only its own
    /// files. A file is either complete or absent, never half-written.
    async fn put(&self, key: &MediaKey, bytes: Bytes) -> Result<bool, StorageError>;
    /// The whole file, or `None` if there is none.
    async fn get(&self, key: &MediaKey) -> Result<Option<Bytes>, StorageError>;
    /// Removes the file; one already gone is not an error.
    async fn delete(&self, key: &MediaKey) -> Result<(), StorageError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn keys_come_only_from_digests_and_known_extensions() {
        let key = MediaKey::new(Variant::Image, DIGEST, Format::Png).unwrap();
        assert_eq!(key.as_str(), format!("images/{DIGEST}.png"));
        assert_eq!(key.digest(), DIGEST);
        assert_eq!(MediaKey::parse(key.as_str()), Some(key));
        assert!(MediaKey::parse(&format!("thumbs/{DIGEST}.jpg")).is_some());
        for bad in [
            format!("../{DIGEST}.png"),
            format!("images/../{DIGEST}.png"),
            format!("images/{DIGEST}.png/.."),
            format!("images/{DIGEST}.exe"),
            format!("/etc/{DIGEST}.png"),
            format!("images/{}.png", DIGEST.to_uppercase()),
            "images/abc.png".to_owned(),
            format!("images/{DIGEST}"),
        ] {
            assert_eq!(MediaKey::parse(&bad), None, "{bad}");
        }
        assert!(MediaKey::new(Variant::Image, "../../etc/passwd", Format::Png).is_none());
    }
}
