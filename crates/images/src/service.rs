//! The image service the gateway calls for everything but generation: the gallery, deletion
//! and serving files behind signed URLs. It also commits generated images (files, then rows).

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use studio_core::{ids::is_valid_id, DbPool};

use crate::{
    decode::{CheckedImage, Format},
    signing::UrlSigner,
    storage::{MediaKey, MediaStorage, Variant},
    store::{ImageRow, ListQuery, Store},
    types::*,
    ImageError,
};

pub const MAX_PAGE: i64 = 100;

#[async_trait]
pub trait ImageService: Send + Sync {
    /// The caller's images, newest first; URLs are signed under `media_base`.
    async fn list(
        &self,
        user_id: &str,
        query: GalleryQuery,
        media_base: &str,
    ) -> Result<ImagePage, ImageError>;
    async fn get(&self, user_id: &str, id: &str, media_base: &str)
        -> Result<ImageInfo, ImageError>;
    /// Removes the row and, unless another image has the same bytes, the files.
    async fn delete(&self, user_id: &str, id: &str) -> Result<(), ImageError>;
    /// The file behind a signed URL: 403 unless the signature is valid and unexpired.
    async fn media(
        &self,
        id: &str,
        variant: Variant,
        expires: &str,
        signature: &str,
    ) -> Result<MediaFile, ImageError>;
}

pub struct Images {
    store: Store,
    storage: Arc<dyn MediaStorage>,
    signer: UrlSigner,
}

/// One image to keep, with what its row records.
pub(crate) struct NewImage {
    pub row: ImageRow,
    pub checked: CheckedImage,
}

impl Images {
    pub fn new(pool: DbPool, storage: Arc<dyn MediaStorage>, signer: UrlSigner) -> Self {
        Self {
            store: Store::new(pool),
            storage,
            signer,
        }
    }

    pub(crate) fn signer(&self) -> &UrlSigner {
        &self.signer
    }

    /// Stores every file, then every row in one transaction. On any failure what this call
    /// created is removed again, so there is never a row without a file nor a file without a
    /// row; files that were already there (identical images) are left alone.
    pub(crate) async fn commit(&self, images: &[NewImage]) -> Result<(), ImageError> {
        let mut created: Vec<MediaKey> = Vec::new();
        let result = self.put_all(images, &mut created).await;
        let result = match result {
            Ok(()) => {
                let rows: Vec<ImageRow> = images.iter().map(|i| i.row.clone()).collect();
                self.store.insert_all(&rows).await.map_err(|e| {
                    tracing::error!(error = %e, "storing image rows failed");
                    ImageError::Storage(e.to_string())
                })
            }
            Err(error) => Err(error),
        };
        if result.is_err() {
            for key in &created {
                if let Err(error) = self.storage.delete(key).await {
                    tracing::error!(key = key.as_str(), %error, "could not remove a file after a failed generation");
                }
            }
        }
        result
    }

    async fn put_all(
        &self,
        images: &[NewImage],
        created: &mut Vec<MediaKey>,
    ) -> Result<(), ImageError> {
        for image in images {
            let mut files = vec![(&image.row.file_name, &image.checked.bytes)];
            if let Some((jpeg, _)) = &image.checked.thumbnail {
                files.push((&image.row.thumbnail_name, jpeg));
            }
            for (name, bytes) in files {
                let key = MediaKey::parse(name)
                    .ok_or_else(|| ImageError::Storage(format!("invalid media name {name}")))?;
                if self
                    .storage
                    .put(&key, Bytes::copy_from_slice(bytes))
                    .await
                    .map_err(|e| ImageError::Storage(e.0))?
                {
                    created.push(key);
                }
            }
        }
        Ok(())
    }

    fn info(&self, row: ImageRow, media_base: &str, now: i64) -> ImageInfo {
        ImageInfo {
            url: self.signer.url(media_base, &row.id, Variant::Image, now),
            thumbnail_url: self
                .signer
                .url(media_base, &row.id, Variant::Thumbnail, now),
            id: row.id,
            prompt: row.prompt,
            revised_prompt: row.revised_prompt,
            model: row.model,
            size: row.size,
            width: row.width,
            height: row.height,
            format: row.format,
            bytes: row.bytes,
            created_at: row.created_at,
        }
    }

    async fn remove_file_if_unused(&self, name: &str) -> Result<(), ImageError> {
        if self.store.file_in_use(name).await? {
            return Ok(());
        }
        let Some(key) = MediaKey::parse(name) else {
            return Ok(());
        };
        self.storage
            .delete(&key)
            .await
            .map_err(|e| ImageError::Storage(e.0))
    }
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[async_trait]
impl ImageService for Images {
    async fn list(
        &self,
        user_id: &str,
        query: GalleryQuery,
        media_base: &str,
    ) -> Result<ImagePage, ImageError> {
        if !(1..=MAX_PAGE).contains(&query.limit) {
            return Err(ImageError::invalid(
                "limit",
                format!("limit must be between 1 and {MAX_PAGE}"),
            ));
        }
        if query.cursor.as_deref().is_some_and(|c| !is_valid_id(c)) {
            return Err(ImageError::invalid(
                "cursor",
                "cursor is not one this API returned",
            ));
        }
        let mut rows = self
            .store
            .list(&ListQuery {
                user_id,
                before: query.cursor.as_deref(),
                model: query.model.as_deref(),
                limit: query.limit + 1,
            })
            .await?;
        let more = rows.len() as i64 > query.limit;
        rows.truncate(query.limit as usize);
        let next_cursor = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
        let now = unix_now();
        Ok(ImagePage {
            data: rows
                .into_iter()
                .map(|row| self.info(row, media_base, now))
                .collect(),
            next_cursor,
        })
    }

    async fn get(
        &self,
        user_id: &str,
        id: &str,
        media_base: &str,
    ) -> Result<ImageInfo, ImageError> {
        if !is_valid_id(id) {
            return Err(ImageError::NotFound);
        }
        let row = self
            .store
            .owned(user_id, id)
            .await?
            .ok_or(ImageError::NotFound)?;
        Ok(self.info(row, media_base, unix_now()))
    }

    async fn delete(&self, user_id: &str, id: &str) -> Result<(), ImageError> {
        if !is_valid_id(id) {
            return Err(ImageError::NotFound);
        }
        let row = self
            .store
            .delete_owned(user_id, id)
            .await?
            .ok_or(ImageError::NotFound)?;
        self.remove_file_if_unused(&row.file_name).await?;
        self.remove_file_if_unused(&row.thumbnail_name).await
    }

    async fn media(
        &self,
        id: &str,
        variant: Variant,
        expires: &str,
        signature: &str,
    ) -> Result<MediaFile, ImageError> {
        // The signature first: without a valid one nothing is looked up, so a URL cannot be
        // used to probe which ids exist.
        let expires = self
            .signer
            .verify(id, variant, expires, signature, unix_now())?;
        if !is_valid_id(id) {
            return Err(ImageError::NotFound);
        }
        let row = self.store.find(id).await?.ok_or(ImageError::NotFound)?;
        let name = match variant {
            Variant::Image => &row.file_name,
            Variant::Thumbnail => &row.thumbnail_name,
        };
        let key = MediaKey::parse(name).ok_or(ImageError::NotFound)?;
        let bytes = self
            .storage
            .get(&key)
            .await
            .map_err(|e| ImageError::Storage(e.0))?
            .ok_or(ImageError::NotFound)?;
        Ok(MediaFile {
            bytes,
            content_type: key.format().unwrap_or(Format::Png).mime(),
            etag: key.digest().to_owned(),
            expires,
        })
    }
}
