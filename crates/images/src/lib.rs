//! Image generation: the OpenAI-compatible `images/generations` proxy, which checks and keeps
//! every image (decoded, re-encoded without metadata, content-addressed, with a thumbnail),
//! the gallery, and files served behind expiring signed URLs from local disk or S3.

mod decode;
mod error;
mod fetch;
mod generate;
mod request;
mod service;
mod signing;
mod storage;
mod store;
mod types;
mod upstream;
mod usage;

pub use decode::MAX_PIXELS;
pub use error::{ImageError, UpstreamErrorBody};
pub use generate::ImageGenerator;
pub use service::{ImageService, Images, MAX_PAGE};
pub use signing::UrlSigner;
pub use storage::{LocalStorage, MediaStorage, S3Settings, S3Storage, StorageError, Variant};
pub use types::*;
