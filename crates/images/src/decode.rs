//! Checking what an upstream returned: decode it (PNG, JPEG or WebP only), refuse
//! decompression bombs, re-encode it (which drops every metadata chunk: EXIF, XMP, text) and
//! make a thumbnail of a large image. CPU-bound: run on the blocking pool.

use std::io::Cursor;

use image::{
    codecs::{jpeg::JpegEncoder, png::PngEncoder, webp::WebPEncoder},
    DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits,
};
use sha2::{Digest, Sha256};

/// The largest image accepted, in pixels (a 1024×1024 image is about 1 M).
pub const MAX_PIXELS: u64 = 40_000_000;
/// Thumbnails fit in this square.
const THUMBNAIL_SIDE: u32 = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
    WebP,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpg",
            Format::WebP => "webp",
        }
    }

    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext {
            "png" => Some(Format::Png),
            "jpg" => Some(Format::Jpeg),
            "webp" => Some(Format::WebP),
            _ => None,
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::WebP => "image/webp",
        }
    }

    /// The name stored in the `format` column and shown to clients.
    pub fn name(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpeg",
            Format::WebP => "webp",
        }
    }
}

/// An image that passed every check, ready to be stored.
#[derive(Debug, Clone)]
pub struct CheckedImage {
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
    /// Hex SHA-256 of `bytes`: the file's name.
    pub digest: String,
    /// A JPEG that fits in a 256-pixel square, with its digest; `None` when the image itself
    /// fits (it is its own thumbnail: encoding a JPEG costs more than the rest of the checks).
    pub thumbnail: Option<(Vec<u8>, String)>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("the model's server returned something that is not a PNG, JPEG or WebP image")]
    NotAnImage,
    #[error(
        "the model's server returned an image of {width}x{height}, larger than Studio accepts"
    )]
    TooLarge { width: u32, height: u32 },
    #[error("the model's server returned a broken {0} image")]
    Broken(&'static str),
}

pub fn check(raw: &[u8]) -> Result<CheckedImage, DecodeError> {
    let format = match image::guess_format(raw) {
        Ok(ImageFormat::Png) => Format::Png,
        Ok(ImageFormat::Jpeg) => Format::Jpeg,
        Ok(ImageFormat::WebP) => Format::WebP,
        _ => return Err(DecodeError::NotAnImage),
    };
    let broken = |_| DecodeError::Broken(format.name());
    let mut reader = ImageReader::new(Cursor::new(raw));
    reader.set_format(match format {
        Format::Png => ImageFormat::Png,
        Format::Jpeg => ImageFormat::Jpeg,
        Format::WebP => ImageFormat::WebP,
    });
    let mut limits = Limits::default();
    // Room for the decoded pixels at 16 bits per RGBA channel, and no more.
    limits.max_alloc = Some(MAX_PIXELS * 8);
    reader.limits(limits);
    let decoder = reader.into_decoder().map_err(broken)?;
    let (width, height) = decoder.dimensions();
    // Checked before a single pixel is decoded: the header alone can claim gigapixels.
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(DecodeError::TooLarge { width, height });
    }
    let image = DynamicImage::from_decoder(decoder).map_err(broken)?;
    let bytes = encode(&image, format).map_err(broken)?;
    let thumbnail = if width > THUMBNAIL_SIDE || height > THUMBNAIL_SIDE {
        let jpeg = thumbnail(&image).map_err(broken)?;
        let digest = hex_sha256(&jpeg);
        Some((jpeg, digest))
    } else {
        None
    };
    Ok(CheckedImage {
        format,
        width,
        height,
        digest: hex_sha256(&bytes),
        bytes,
        thumbnail,
    })
}

fn encode(image: &DynamicImage, format: Format) -> image::ImageResult<Vec<u8>> {
    let mut out = Vec::new();
    match format {
        Format::Png => image.write_with_encoder(PngEncoder::new(&mut out))?,
        // JPEG has no alpha channel; JPEG sources have none either.
        Format::Jpeg => DynamicImage::ImageRgb8(image.to_rgb8())
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 92))?,
        Format::WebP => DynamicImage::ImageRgba8(image.to_rgba8())
            .write_with_encoder(WebPEncoder::new_lossless(&mut out))?,
    }
    Ok(out)
}

/// A JPEG that fits in a 256-pixel square.
fn thumbnail(image: &DynamicImage) -> image::ImageResult<Vec<u8>> {
    let small = image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE);
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(small.to_rgb8())
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 80))?;
    Ok(out)
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    use std::fmt::Write;
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

#[cfg(test)]
mod tests;
