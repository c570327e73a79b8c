//! Files under `MEDIA_ROOT`: written to a temporary name in the same folder, then renamed, so
//! a reader or a crash never sees half a file.

use std::{io::ErrorKind, path::PathBuf};

use async_trait::async_trait;
use bytes::Bytes;

use super::{MediaKey, MediaStorage, StorageError, MAX_FILE_BYTES};

pub struct LocalStorage {
    root: PathBuf,
}

impl LocalStorage {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn path(&self, key: &MediaKey) -> PathBuf {
        self.root.join(key.as_str())
    }
}

fn failed(what: &str, path: &std::path::Path, error: std::io::Error) -> StorageError {
    tracing::error!(path = %path.display(), %error, "media storage: {what} failed");
    StorageError(format!("{what} failed: {error}"))
}

#[async_trait]
impl MediaStorage for LocalStorage {
    async fn put(&self, key: &MediaKey, bytes: Bytes) -> Result<bool, StorageError> {
        let path = self.path(key);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(false);
        }
        let folder = path.parent().unwrap_or(&self.root).to_path_buf();
        tokio::fs::create_dir_all(&folder)
            .await
            .map_err(|e| failed("creating the media folder", &folder, e))?;
        let temporary = folder.join(format!(
            ".{}.{:016x}.tmp",
            key.digest(),
            rand::random::<u64>()
        ));
        let written = async {
            tokio::fs::write(&temporary, &bytes).await?;
            tokio::fs::rename(&temporary, &path).await
        }
        .await;
        if let Err(error) = written {
            let _ = tokio::fs::remove_file(&temporary).await;
            return Err(failed("writing an image", &path, error));
        }
        Ok(true)
    }

    async fn get(&self, key: &MediaKey) -> Result<Option<Bytes>, StorageError> {
        let path = self.path(key);
        match tokio::fs::metadata(&path).await {
            Ok(meta) if meta.len() > MAX_FILE_BYTES as u64 => {
                return Err(StorageError("the stored file is too large".into()))
            }
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(failed("reading an image", &path, e)),
        }
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(Bytes::from(bytes))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(failed("reading an image", &path, e)),
        }
    }

    async fn delete(&self, key: &MediaKey) -> Result<(), StorageError> {
        let path = self.path(key);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(failed("deleting an image", &path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode::Format, storage::Variant};

    fn key(byte: char) -> MediaKey {
        MediaKey::new(Variant::Image, &byte.to_string().repeat(64), Format::Png).unwrap()
    }

    #[tokio::test]
    async fn files_are_created_once_read_back_and_deleted_idempotently() {
        let dir = tempfile::tempdir().unwrap();
        let storage = LocalStorage::new(dir.path().to_path_buf());
        let key = key('a');
        assert!(storage.get(&key).await.unwrap().is_none());
        assert!(storage.put(&key, Bytes::from_static(b"png")).await.unwrap());
        assert!(!storage.put(&key, Bytes::from_static(b"png")).await.unwrap());
        assert_eq!(storage.get(&key).await.unwrap().unwrap(), "png");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("images"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(
            names,
            vec![format!("{}.png", "a".repeat(64))],
            "no temporary left"
        );
        storage.delete(&key).await.unwrap();
        storage.delete(&key).await.unwrap();
        assert!(storage.get(&key).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the folder should be: every write under it fails.
        std::fs::write(dir.path().join("images"), b"in the way").unwrap();
        let storage = LocalStorage::new(dir.path().to_path_buf());
        assert!(storage
            .put(&key('b'), Bytes::from_static(b"x"))
            .await
            .is_err());
        let entries = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(entries, 1);
    }
}
