//! File-type sniffing (`infer`) and image clean-up and thumbnails (`image`).
//! Thumbnails are JPEG, at most 320 pixels on their longer side.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::application::attachments::{CleanImage, MediaTools};
use crate::domain::attachments::MediaType;

/// Longest side of a thumbnail, in pixels.
const THUMBNAIL_SIZE: u32 = 320;

pub struct ImageMediaTools;

fn format(media: MediaType) -> Option<ImageFormat> {
    match media {
        MediaType::Png => Some(ImageFormat::Png),
        MediaType::Jpeg => Some(ImageFormat::Jpeg),
        MediaType::Gif => Some(ImageFormat::Gif),
        MediaType::Webp => Some(ImageFormat::WebP),
        _ => None,
    }
}

impl MediaTools for ImageMediaTools {
    fn sniff(&self, head: &[u8]) -> Option<&'static str> {
        infer::get(head).map(|kind| kind.mime_type())
    }

    fn clean_image(&self, bytes: &[u8], media: MediaType) -> anyhow::Result<CleanImage> {
        let format = format(media).ok_or_else(|| anyhow::anyhow!("not an image type"))?;
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        // Beyond the pixel limit checked before, a decoder may not allocate without bound.
        let mut limits = Limits::default();
        limits.max_alloc = Some(512 << 20);
        reader.limits(limits);
        let mut decoder = reader.into_decoder()?;
        // Phones store pictures as the sensor saw them and say how to turn them in EXIF,
        // which is about to be dropped: turn the pixels first. A broken EXIF turns nothing.
        let orientation = decoder
            .orientation()
            .unwrap_or(image::metadata::Orientation::NoTransforms);
        let mut image = DynamicImage::from_decoder(decoder)?;
        image.apply_orientation(orientation);
        let thumbnail = jpeg(image.thumbnail(THUMBNAIL_SIZE, THUMBNAIL_SIZE))?;
        let (width, height) = (image.width(), image.height());
        // Only the pixels are written back: EXIF, GPS and every other chunk stay behind. GIF and
        // WebP keep their type; animations keep their first frame.
        let clean = match media {
            MediaType::Jpeg => jpeg(image)?,
            _ => {
                let mut clean = Vec::new();
                image.write_to(&mut Cursor::new(&mut clean), format)?;
                clean
            }
        };
        Ok(CleanImage {
            bytes: clean,
            width,
            height,
            thumbnail,
        })
    }

    fn dimensions(&self, bytes: &[u8], media: MediaType) -> anyhow::Result<(u32, u32)> {
        let format = format(media).ok_or_else(|| anyhow::anyhow!("not an image type"))?;
        Ok(ImageReader::with_format(Cursor::new(bytes), format).into_dimensions()?)
    }
}

/// JPEG holds no alpha: an image with it is flattened, taking the pixels rather than copying.
fn jpeg(image: DynamicImage) -> anyhow::Result<Vec<u8>> {
    let image = match image {
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageLuma8(_) => image,
        other => DynamicImage::ImageRgb8(other.into_rgb8()),
    };
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Jpeg)?;
    Ok(bytes)
}
