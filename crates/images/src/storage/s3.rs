//! S3-compatible object storage through `object_store` (AWS, MinIO, R2, moto…). Objects are
//! written in one PUT, so they too are complete or absent.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use object_store::{
    aws::{AmazonS3, AmazonS3Builder},
    path::Path,
    BackoffConfig, ClientOptions, ObjectStore, PutPayload, RetryConfig,
};

use super::{MediaKey, MediaStorage, StorageError, MAX_FILE_BYTES};

/// Where the bucket is and how to sign for it.
#[derive(Clone)]
pub struct S3Settings {
    pub bucket: String,
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

pub struct S3Storage {
    store: AmazonS3,
}

impl S3Storage {
    /// Builds the client (no request is made yet). Credentials not given here come from the
    /// usual AWS environment chain.
    pub fn new(settings: &S3Settings) -> Result<Self, StorageError> {
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            // A request must fail in seconds (the client is waiting), not after minutes of
            // retries: the generation answers 503 and can be retried by the caller.
            .with_retry(RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: Duration::from_millis(50),
                    max_backoff: Duration::from_millis(500),
                    base: 2.0,
                },
                max_retries: 2,
                retry_timeout: Duration::from_secs(10),
            })
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(3))
                    .with_timeout(Duration::from_secs(30))
                    .with_allow_http(true),
            );
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(id) = &settings.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &settings.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let store = builder
            .build()
            .map_err(|e| StorageError(format!("S3 configuration: {e}")))?;
        Ok(Self { store })
    }
}

fn failed(what: &str, key: &MediaKey, error: object_store::Error) -> StorageError {
    tracing::error!(key = key.as_str(), %error, "media storage (S3): {what} failed");
    StorageError(format!("{what} failed"))
}

#[async_trait]
impl MediaStorage for S3Storage {
    async fn put(&self, key: &MediaKey, bytes: Bytes) -> Result<bool, StorageError> {
        let path = Path::from(key.as_str());
        match self.store.head(&path).await {
            Ok(_) => return Ok(false),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(failed("checking an image", key, e)),
        }
        self.store
            .put(&path, PutPayload::from(bytes))
            .await
            .map_err(|e| failed("writing an image", key, e))?;
        Ok(true)
    }

    async fn get(&self, key: &MediaKey) -> Result<Option<Bytes>, StorageError> {
        let result = match self.store.get(&Path::from(key.as_str())).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(failed("reading an image", key, e)),
        };
        if result.meta.size > MAX_FILE_BYTES as u64 {
            return Err(StorageError("the stored file is too large".into()));
        }
        match result.bytes().await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(failed("reading an image", key, e)),
        }
    }

    async fn delete(&self, key: &MediaKey) -> Result<(), StorageError> {
        match self.store.delete(&Path::from(key.as_str())).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(failed("deleting an image", key, e)),
        }
    }
}
