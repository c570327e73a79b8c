//! Real PNG files for the image endpoint: a gradient with diagonal stripes whose colours and
//! spacing come from a hash of the prompt, so the same prompt always gives the same picture
//! and different prompts (or images of one request) visibly differ.

use png::{BitDepth, ColorType, Compression, Encoder, EncodingError};

/// FNV-1a: stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The seed of image `index` of a request for `prompt`.
fn seed(prompt: &str, index: usize) -> u64 {
    fnv1a(prompt.as_bytes()) ^ (index as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

fn channel(seed: u64, shift: u32) -> u8 {
    (seed >> shift) as u8
}

/// Linear blend of `a` towards `b` by `t / 255`.
fn mix(a: u8, b: u8, t: u32) -> u8 {
    ((u32::from(a) * (255 - t) + u32::from(b) * t) / 255) as u8
}

/// Renders image `index` for `prompt` as an 8-bit RGB PNG of `width` × `height` (both > 0).
///
/// CPU-bound (milliseconds for 1024×1024): call it off the async workers.
pub(crate) fn render_png(
    prompt: &str,
    index: usize,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, EncodingError> {
    let seed = seed(prompt, index);
    let from = [channel(seed, 0), channel(seed, 8), channel(seed, 16)];
    let to = [channel(seed, 24), channel(seed, 32), channel(seed, 40)];
    let period = 8 + (seed >> 48) as u32 % 40;
    let slope = 1 + (seed >> 56) as u32 % 3;
    let span = (width - 1).max(1) + (height - 1).max(1);

    let mut pixels = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height {
        for x in 0..width {
            let t = (x + y) * 255 / span;
            let dark = ((x + y * slope) / period).is_multiple_of(2);
            for (&a, &b) in from.iter().zip(&to) {
                let value = mix(a, b, t);
                pixels.push(if dark { value - value / 4 } else { value });
            }
        }
    }

    let mut out = Vec::with_capacity(pixels.len() / 4 + 64);
    let mut encoder = Encoder::new(&mut out, width, height);
    encoder.set_color(ColorType::Rgb);
    encoder.set_depth(BitDepth::Eight);
    encoder.set_compression(Compression::Fast);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        (info.width, info.height, pixels)
    }

    #[test]
    fn the_png_decodes_to_the_requested_size() {
        let bytes = render_png("a red fox", 0, 96, 64).unwrap();
        let (width, height, pixels) = decode(&bytes);
        assert_eq!((width, height), (96, 64));
        assert_eq!(pixels.len(), 96 * 64 * 3);
    }

    #[test]
    fn the_picture_depends_on_prompt_and_index_only() {
        let fox = render_png("a red fox", 0, 64, 64).unwrap();
        assert_eq!(fox, render_png("a red fox", 0, 64, 64).unwrap());
        assert_ne!(fox, render_png("a red fox", 1, 64, 64).unwrap());
        assert_ne!(fox, render_png("a blue fox", 0, 64, 64).unwrap());
    }
}
