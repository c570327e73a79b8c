//! Where generated images live and how their URLs are made (`MEDIA_*`, `STUDIO_S3_*`).

use std::path::PathBuf;

use super::parse::Vars;

/// Signed media URLs live this long unless `STUDIO_MEDIA_URL_TTL_SECS` says otherwise.
const DEFAULT_URL_TTL_SECS: &str = "3600";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaConfig {
    /// Local storage root (used when no S3 bucket is configured).
    pub root: PathBuf,
    /// Prefix of media URLs: a path (`/media/`, made absolute from the request) or a full
    /// URL (`https://studio.example.com/media/`). Always ends with `/`.
    pub url: String,
    pub url_ttl_secs: u64,
    pub s3: Option<S3Config>,
}

/// S3-compatible object storage; credentials come from `AWS_ACCESS_KEY_ID` and
/// `AWS_SECRET_ACCESS_KEY` (or the rest of the usual AWS chain when those are unset).
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    pub bucket: String,
    /// For S3-compatible servers (MinIO, moto, R2); `None` means AWS itself.
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

// The secret must never reach a log line through `{:?}`.
impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    pub(super) fn media(&mut self) -> MediaConfig {
        let mut url = self.text("MEDIA_URL", "/media/");
        let valid = if url.starts_with('/') {
            !url.contains("..") && !url.contains('?') && !url.contains('#')
        } else {
            url::Url::parse(&url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.query().is_none())
        };
        if !valid {
            self.fail(
                "MEDIA_URL",
                format!("must be a path like /media/ or an http(s) URL, got {url:?}"),
            );
        }
        if !url.ends_with('/') {
            url.push('/');
        }
        let url_ttl_secs: u64 = self.parsed(
            "STUDIO_MEDIA_URL_TTL_SECS",
            DEFAULT_URL_TTL_SECS,
            "not a number of seconds",
        );
        if url_ttl_secs == 0 {
            self.fail("STUDIO_MEDIA_URL_TTL_SECS", "must be at least 1 second");
        }
        let s3 = self.optional("STUDIO_S3_BUCKET").map(|bucket| {
            let endpoint = self.optional("STUDIO_S3_ENDPOINT");
            if let Some(endpoint) = &endpoint {
                if !url::Url::parse(endpoint).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
                {
                    self.fail(
                        "STUDIO_S3_ENDPOINT",
                        format!("not an http(s) URL, got {endpoint:?}"),
                    );
                }
            }
            S3Config {
                bucket,
                endpoint: endpoint.map(|e| e.trim_end_matches('/').to_owned()),
                region: self.text("STUDIO_S3_REGION", "us-east-1"),
                access_key_id: self.optional("AWS_ACCESS_KEY_ID"),
                secret_access_key: self.optional("AWS_SECRET_ACCESS_KEY"),
            }
        });
        MediaConfig {
            root: PathBuf::from(self.text("MEDIA_ROOT", "./media")),
            url,
            url_ttl_secs,
            s3,
        }
    }
}
