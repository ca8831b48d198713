//! Any bytes uploaded as a file, down the server's own path: sniffed, and if an image, its
//! header read, the pixel limit applied, then decoded, turned, re-encoded and thumbnailed.
//! Never a panic, and never more pixels decoded than the limit allows.
#![no_main]

use chat_server::application::attachments::MediaTools;
use chat_server::domain::attachments::MediaType;
use chat_server::infrastructure::media::ImageMediaTools;
use libfuzzer_sys::fuzz_target;

/// Lower than the server's default so that the fuzzer stays within its memory limit.
const MAX_PIXELS: u64 = 4_000_000;

fuzz_target!(|data: &[u8]| {
    let tools = ImageMediaTools;
    let Some(media) = tools.sniff(data).and_then(MediaType::from_mime) else {
        return;
    };
    if !media.is_image() {
        return;
    }
    let Ok((width, height)) = tools.dimensions(data, media) else {
        return;
    };
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return;
    }
    if let Ok(clean) = tools.clean_image(data, media) {
        assert!(u64::from(clean.width) * u64::from(clean.height) <= MAX_PIXELS);
        assert!(!clean.thumbnail.is_empty());
    }
});
