//! Image bytes as the checks take them, and the server's crop of a face.

use crate::domain::identity::DetectedFace;
use crate::error::{Error, Result};
use image::ImageFormat;
use std::io::Cursor;

/// Rekognition takes at most 5 MB of image bytes per call.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

/// A JPEG or PNG of at most 5 MB; `field` names it in the error.
pub fn check_image(bytes: &[u8], field: &str) -> Result<()> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(Error::TooLarge {
            code: "image_too_large",
            message: format!("{field} is larger than 5 MB"),
        });
    }
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg | ImageFormat::Png) => Ok(()),
        _ => Err(Error::invalid(
            "invalid_image",
            format!("{field} must be a JPEG or PNG image"),
        )),
    }
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
