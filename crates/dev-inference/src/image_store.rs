//! Images generated with `response_format: "url"`, kept in memory and served at
//! `GET /images/{id}.png`, as a real provider serves them from a CDN for a while.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

use crate::errors::ApiError;
use crate::AppState;

/// Oldest images are forgotten first once either bound is reached.
const MAX_IMAGES: usize = 256;
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// A bounded map from image id to PNG bytes, shared by all workers.
#[derive(Default)]
pub(crate) struct ImageStore {
    next: AtomicU64,
    inner: Mutex<Stored>,
}

#[derive(Default)]
struct Stored {
    images: HashMap<String, Bytes>,
    order: VecDeque<String>,
    bytes: usize,
}

impl ImageStore {
    /// Keeps `png` and returns its id.
    pub(crate) fn insert(&self, png: Bytes) -> String {
        // Multiplying by an odd constant is a bijection on u64: ids are unique but not 1, 2, 3.
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let id = format!("{:016x}", n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut stored = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        stored.bytes += png.len();
        stored.images.insert(id.clone(), png);
        stored.order.push_back(id.clone());
        while stored.order.len() > MAX_IMAGES
            || (stored.bytes > MAX_BYTES && stored.order.len() > 1)
        {
            let Some(oldest) = stored.order.pop_front() else {
                break;
            };
            if let Some(evicted) = stored.images.remove(&oldest) {
                stored.bytes -= evicted.len();
            }
        }
        id
    }

    pub(crate) fn get(&self, id: &str) -> Option<Bytes> {
        let stored = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        stored.images.get(id).cloned()
    }
}

/// `GET /images/{file}`: the PNG of a `url` image, or a 404 once it was evicted.
pub(crate) async fn serve(
    state: web::Data<AppState>,
    req: HttpRequest,
    file: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let png = file
        .strip_suffix(".png")
        .and_then(|id| state.images.get(id))
        .ok_or_else(|| ApiError::not_found(req.method().as_str(), req.path()))?;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600, immutable"))
        .body(png))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_images_come_back_by_id() {
        let store = ImageStore::default();
        let a = store.insert(Bytes::from_static(b"a"));
        let b = store.insert(Bytes::from_static(b"b"));
        assert_ne!(a, b);
        assert_eq!(store.get(&a).unwrap(), "a");
        assert_eq!(store.get(&b).unwrap(), "b");
        assert!(store.get("missing").is_none());
    }

    #[test]
    fn the_oldest_images_are_evicted_beyond_the_bound() {
        let store = ImageStore::default();
        let first = store.insert(Bytes::from_static(b"first"));
        let mut last = String::new();
        for _ in 0..MAX_IMAGES {
            last = store.insert(Bytes::from_static(b"x"));
        }
        assert!(store.get(&first).is_none());
        assert!(store.get(&last).is_some());
    }
}
