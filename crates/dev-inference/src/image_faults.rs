//! Misbehaviour of the image endpoint, chosen by the model name like the chat options
//! (`dev-image:reply=url,corrupt=bytes`), so every path of a gateway that checks and keeps
//! images has a test:
//!
//! - `reply=url`: answer with a `url` even when `b64_json` was asked for.
//! - `corrupt=bytes|truncated|base64|bomb`: the image is not an image, is cut in half, is not
//!   valid base64, or is a PNG whose header claims 100000×100000 pixels.
//! - `delay=MS`: rendering takes this long per image.
//!
//! `fail=` and `stall=` mean what they mean for chat.

use crate::options::ModelOptions;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Corruption {
    Bytes,
    Truncated,
    Base64,
    Bomb,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageFaults {
    pub force_url: bool,
    pub corrupt: Option<Corruption>,
    /// The options shared with chat (`fail`, `stall`, `delay`).
    pub common: ModelOptions,
}

impl ImageFaults {
    pub(crate) fn parse(model: &str) -> Result<Self, String> {
        let mut faults = Self {
            force_url: false,
            corrupt: None,
            common: ModelOptions::default(),
        };
        let Some((name, list)) = model
            .rsplit_once(':')
            .filter(|(_, list)| list.contains('='))
        else {
            return Ok(faults);
        };
        let mut rest = Vec::new();
        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            match item.split_once('=') {
                Some(("reply", "url")) => faults.force_url = true,
                Some(("reply", other)) => {
                    return Err(format!("model option reply must be url, got `{other}`"))
                }
                Some(("corrupt", kind)) => {
                    faults.corrupt = Some(match kind {
                        "bytes" => Corruption::Bytes,
                        "truncated" => Corruption::Truncated,
                        "base64" => Corruption::Base64,
                        "bomb" => Corruption::Bomb,
                        other => {
                            return Err(format!(
                                "model option corrupt must be bytes, truncated, base64 or bomb, got `{other}`"
                            ))
                        }
                    })
                }
                _ => rest.push(item),
            }
        }
        if !rest.is_empty() {
            faults.common = ModelOptions::parse(&format!("{name}:{}", rest.join(",")))?;
        }
        Ok(faults)
    }
}

/// The bytes sent for one image under `corruption` (`png` is the real rendering).
pub(crate) fn corrupted(png: Vec<u8>, corruption: Corruption) -> Vec<u8> {
    match corruption {
        Corruption::Bytes => b"this is not an image at all".to_vec(),
        Corruption::Truncated => png[..png.len() / 2].to_vec(),
        // Replaced by invalid base64 by the caller; the bytes themselves are fine.
        Corruption::Base64 => png,
        Corruption::Bomb => bomb(),
    }
}

/// A tiny PNG whose header claims 100000×100000 RGB pixels (30 GB decoded).
fn bomb() -> Vec<u8> {
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&100_000u32.to_be_bytes());
    header.extend_from_slice(&100_000u32.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &header));
    // An empty zlib stream.
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", &[]));
    png
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// The CRC-32 PNG chunks end with (bitwise: a few hundred bytes, once per test).
fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |crc, &b| {
        (0..8).fold(crc ^ u32::from(b), |c, _| {
            (c >> 1) ^ (0xedb8_8320 & (!(c & 1)).wrapping_add(1))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn image_options_are_split_from_the_common_ones() {
        let faults =
            ImageFaults::parse("dev-image:reply=url,corrupt=bomb,delay=5,fail=500").unwrap();
        assert!(faults.force_url);
        assert_eq!(faults.corrupt, Some(Corruption::Bomb));
        assert_eq!(faults.common.delay, Some(Duration::from_millis(5)));
        assert!(faults.common.fail.is_some());
        assert_eq!(ImageFaults::parse("dev-image").unwrap().corrupt, None);
        assert!(ImageFaults::parse("dev-image:corrupt=gif").is_err());
        assert!(ImageFaults::parse("dev-image:reply=json").is_err());
        assert!(ImageFaults::parse("dev-image:nonsense=1").is_err());
    }

    #[test]
    fn the_crc_is_the_one_png_uses() {
        // The CRC of an IEND chunk is the same in every PNG.
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
        assert_eq!(&bomb()[..8], b"\x89PNG\r\n\x1a\n");
    }
}
