//! Image bytes as the checks take them, and the server's crop of a face.

use crate::domain::identity::DetectedFace;
use crate::error::{Error, Result};
use image::ImageFormat;
use std::io::Cursor;

/// Rekognition takes at most 5 MB of image bytes per call.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

/// The pixel budget: a few bytes of PNG or JPEG can declare billions of
/// pixels (a decompression bomb), so the declared size is checked before
/// any decoder, store or reader sees the image. 40 megapixels holds a
/// 48-megapixel phone's default 12-megapixel photo three times over.
pub const MAX_IMAGE_PIXELS: u64 = 40_000_000;

/// Textract reads pages of at most 10,000 pixels a side.
pub const MAX_IMAGE_SIDE: u32 = 10_000;

/// A JPEG or PNG of at most 5 MB whose header declares at most
/// `MAX_IMAGE_PIXELS` and `MAX_IMAGE_SIDE`; `field` names it in the error.
/// Only the header is read: nothing is decoded.
pub fn check_image(bytes: &[u8], field: &str) -> Result<()> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(Error::TooLarge {
            code: "image_too_large",
            message: format!("{field} is larger than 5 MB"),
        });
    }
    let format = match image::guess_format(bytes) {
        Ok(format @ (ImageFormat::Jpeg | ImageFormat::Png)) => format,
        _ => {
            return Err(Error::invalid(
                "invalid_image",
                format!("{field} must be a JPEG or PNG image"),
            ))
        }
    };
    let (width, height) = image::ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| {
            Error::invalid(
                "invalid_image",
                format!("{field} has no readable image header"),
            )
        })?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels == 0 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || pixels > MAX_IMAGE_PIXELS
    {
        return Err(Error::invalid(
            "invalid_image",
            format!(
                "{field} declares {width}x{height} pixels; at most {} megapixels and {MAX_IMAGE_SIDE} \
                 pixels a side are read",
                MAX_IMAGE_PIXELS / 1_000_000
            ),
        ));
    }
    Ok(())
}

/// The face with a margin of a quarter of its size on each side, as JPEG.
/// Cropped here from the document the enrollee sent, never taken from the
/// client.
pub fn crop_face(bytes: &[u8], face: &DetectedFace) -> Result<Vec<u8>> {
    let picture = image::load_from_memory(bytes)
        .map_err(|_| Error::invalid("invalid_image", "the document image cannot be decoded"))?;
    let (width, height) = (picture.width() as f32, picture.height() as f32);
    let margin_x = face.width * 0.25;
    let margin_y = face.height * 0.25;
    let left = ((face.left - margin_x).max(0.0) * width) as u32;
    let top = ((face.top - margin_y).max(0.0) * height) as u32;
    let right = (((face.left + face.width + margin_x).min(1.0)) * width) as u32;
    let bottom = (((face.top + face.height + margin_y).min(1.0)) * height) as u32;
    if right <= left || bottom <= top {
        return Err(Error::invalid("invalid_image", "the face box is empty"));
    }
    let crop = picture
        .crop_imm(left, top, right - left, bottom - top)
        .to_rgb8();
    let mut out = Cursor::new(Vec::new());
    crop.write_to(&mut out, ImageFormat::Jpeg)
        .map_err(Error::internal)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let picture = image::RgbImage::from_pixel(width, height, image::Rgb([200, 100, 50]));
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn only_jpeg_and_png_are_taken() {
        assert!(check_image(&png(4, 4), "image").is_ok());
        assert!(matches!(
            check_image(b"GIF89a....", "image"),
            Err(Error::InvalidInput {
                code: "invalid_image",
                ..
            })
        ));
        assert!(matches!(
            check_image(&vec![0xFF; MAX_IMAGE_BYTES + 1], "image"),
            Err(Error::TooLarge { .. })
        ));
    }

    /// A real 1 x 1 PNG whose header (IHDR) is rewritten to declare
    /// `width` x `height` with colour type `colour`: a decompression bomb.
    fn png_declaring(width: u32, height: u32, colour: u8) -> Vec<u8> {
        let mut bytes = png(1, 1);
        // Signature (8), length (4), "IHDR", then the 13 bytes and the CRC.
        bytes[16..20].copy_from_slice(&width.to_be_bytes());
        bytes[20..24].copy_from_slice(&height.to_be_bytes());
        bytes[25] = colour;
        let crc = crc32fast::hash(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        bytes
    }

    /// A real JPEG whose frame header (SOF0) is rewritten to declare
    /// `width` x `height`: its scan holds 8 x 8 pixels.
    fn jpeg_declaring(width: u16, height: u16) -> Vec<u8> {
        let picture = image::RgbImage::from_pixel(8, 8, image::Rgb([200, 100, 50]));
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, ImageFormat::Jpeg).unwrap();
        let mut bytes = out.into_inner();
        let sof = bytes
            .windows(2)
            .position(|w| w == [0xFF, 0xC0])
            .expect("a baseline frame header");
        bytes[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
        bytes[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
        bytes
    }

    fn refused(bytes: &[u8]) -> String {
        match check_image(bytes, "image") {
            Err(Error::InvalidInput {
                code: "invalid_image",
                message,
            }) => message,
            other => panic!("not refused as invalid_image: {other:?}"),
        }
    }

    #[test]
    fn declared_sizes_past_the_pixel_budget_are_refused_from_the_header() {
        assert!(check_image(&png_declaring(6_000, 6_000, 2), "image").is_ok());
        for (width, height, colour) in [
            (100_000, 100_000, 2),
            (65_535, 65_535, 6),
            (i32::MAX as u32, 1, 2),
            (10_001, 100, 2),
            (7_000, 7_000, 2),
        ] {
            let message = refused(&png_declaring(width, height, colour));
            assert!(
                message.contains("megapixels") || message.contains("header"),
                "{message}"
            );
        }
        let jpeg = refused(&jpeg_declaring(65_500, 65_500));
        assert!(jpeg.contains("65500x65500"), "{jpeg}");
        assert!(check_image(&jpeg_declaring(8, 8), "image").is_ok());
        // A header within the budget passes the cheap check: the decoder
        // that fails on its missing data is the reader's (a 400 too).
        assert!(check_image(&png_declaring(4_000, 3_000, 2), "image").is_ok());
    }

    #[test]
    fn the_crop_keeps_a_margin_inside_the_image() {
        let face = DetectedFace {
            left: 0.0,
            top: 0.5,
            width: 0.2,
            height: 0.2,
            confidence: 99.0,
        };
        let crop = image::load_from_memory(&crop_face(&png(100, 100), &face).unwrap()).unwrap();
        // 0..25 across (no room on the left), 45..75 down.
        assert_eq!((crop.width(), crop.height()), (25, 30));
    }
}
