//! File-type sniffing (`infer`) and image clean-up and thumbnails (`image`).
//! Thumbnails are JPEG, at most 320 pixels on their longer side.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};

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
        // A small file must not decode into gigabytes of pixels.
        let mut limits = Limits::default();
        limits.max_image_width = Some(12_000);
        limits.max_image_height = Some(12_000);
        limits.max_alloc = Some(512 << 20);
        reader.limits(limits);
        let image = reader.decode()?;
        // Only the pixels are written back: EXIF, GPS and every other chunk stay behind. GIF and
        // WebP keep their type; animations keep their first frame.
        let mut clean = Vec::new();
        match media {
            MediaType::Jpeg => image
                .to_rgb8()
                .write_to(&mut Cursor::new(&mut clean), ImageFormat::Jpeg)?,
            _ => image.write_to(&mut Cursor::new(&mut clean), format)?,
        }
        let mut thumbnail = Vec::new();
        image
            .thumbnail(THUMBNAIL_SIZE, THUMBNAIL_SIZE)
            .to_rgb8()
            .write_to(&mut Cursor::new(&mut thumbnail), ImageFormat::Jpeg)?;
        Ok(CleanImage {
            bytes: clean,
            width: image.width(),
            height: image.height(),
            thumbnail,
        })
    }
}
