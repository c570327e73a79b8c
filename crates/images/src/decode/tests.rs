use super::*;

fn rgb(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([x as u8, y as u8, 128])
    }))
}

fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |crc, &b| {
        (0..8).fold(crc ^ u32::from(b), |c, _| {
            (c >> 1) ^ (0xedb8_8320 & (!(c & 1)).wrapping_add(1))
        })
    })
}

/// A PNG chunk with its length and CRC.
fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// A valid PNG with a text chunk inserted after its header.
fn png_with_text(text: &str) -> Vec<u8> {
    let png = encoded(&rgb(40, 30), ImageFormat::Png);
    let header_end = 8 + 25;
    let mut out = png[..header_end].to_vec();
    out.extend(chunk(b"tEXt", format!("Comment\0{text}").as_bytes()));
    out.extend_from_slice(&png[header_end..]);
    out
}

#[test]
fn png_jpeg_and_webp_are_accepted_and_keep_their_format() {
    for (format, expected) in [
        (ImageFormat::Png, Format::Png),
        (ImageFormat::Jpeg, Format::Jpeg),
        (ImageFormat::WebP, Format::WebP),
    ] {
        let checked = check(&encoded(&rgb(300, 200), format)).unwrap();
        assert_eq!(checked.format, expected);
        assert_eq!((checked.width, checked.height), (300, 200));
        assert_eq!(checked.digest, hex_sha256(&checked.bytes));
        assert_eq!(image::guess_format(&checked.bytes).unwrap(), format);
        let (jpeg, digest) = checked.thumbnail.unwrap();
        assert_eq!(digest, hex_sha256(&jpeg));
        let thumb = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (256, 171));
    }
}

#[test]
fn an_image_that_fits_the_thumbnail_square_is_its_own_thumbnail() {
    let checked = check(&encoded(&rgb(256, 100), ImageFormat::Png)).unwrap();
    assert!(checked.thumbnail.is_none());
}

#[test]
fn metadata_is_stripped_by_re_encoding() {
    let raw = png_with_text("secret camera serial 1234");
    assert!(String::from_utf8_lossy(&raw).contains("secret camera serial"));
    let checked = check(&raw).unwrap();
    assert!(!String::from_utf8_lossy(&checked.bytes).contains("secret camera serial"));
}

#[test]
fn what_is_not_an_image_or_is_broken_is_refused() {
    assert_eq!(
        check(b"hello, not an image").unwrap_err(),
        DecodeError::NotAnImage
    );
    assert_eq!(
        check(b"GIF89a\x01\x00\x01\x00\x00\x00\x00").unwrap_err(),
        DecodeError::NotAnImage
    );
    let png = encoded(&rgb(64, 64), ImageFormat::Png);
    assert_eq!(
        check(&png[..png.len() / 2]).unwrap_err(),
        DecodeError::Broken("png")
    );
}

#[test]
fn a_decompression_bomb_is_refused_from_its_header() {
    let mut header = Vec::new();
    header.extend_from_slice(&100_000u32.to_be_bytes());
    header.extend_from_slice(&100_000u32.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    bomb.extend(chunk(b"IHDR", &header));
    bomb.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    bomb.extend(chunk(b"IEND", &[]));
    assert_eq!(
        check(&bomb).unwrap_err(),
        DecodeError::TooLarge {
            width: 100_000,
            height: 100_000
        }
    );
}
