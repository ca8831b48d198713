//! Attachments use cases: streamed upload with type sniffing and image clean-up, authorised
//! download, and the removal of uploads never sent.

mod avatars;
mod cleanup;
pub mod commands;
mod image_pool;
pub mod queries;
mod scan;

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;

pub use avatars::Avatars;
pub use cleanup::OrphanCleanup;
pub use commands::UploadFileHandler;
pub use image_pool::ImagePool;
pub use queries::{AttachmentHandler, Download, DownloadHandler, DownloadLinkHandler, Part};
pub use scan::{ScanStream, Scanning, Verdict, VirusScanner, WhenScannerDown};

use crate::application::limits::WriteLimit;
use crate::application::ports::Clock;
use crate::domain::attachments::{Attachment, AttachmentRepository, MediaType};
use crate::domain::conversations::ConversationRepository;

/// Writes one object in pieces, so that a large file is never whole in memory.
#[async_trait]
pub trait ObjectWriter: Send {
    async fn write(&mut self, chunk: Bytes) -> anyhow::Result<()>;
    async fn finish(self: Box<Self>) -> anyhow::Result<()>;
    async fn abort(self: Box<Self>);
}

/// Part (or all) of a stored object, as a stream.
pub struct ObjectRead {
    /// The whole object's size.
    pub size: u64,
    /// The bytes streamed.
    pub range: Range<u64>,
    pub body: BoxStream<'static, anyhow::Result<Bytes>>,
}

/// Thumbnails are always JPEG.
pub const THUMBNAIL_TYPE: &str = "image/jpeg";
/// Files never change once stored, but who may read them can.
pub const CACHE_CONTROL: &str = "private, max-age=3600";

/// The response headers an object is served with, kept with it by stores that serve objects
/// themselves (through signed URLs).
pub struct ObjectHeaders {
    pub content_type: &'static str,
    pub disposition: String,
}

impl ObjectHeaders {
    pub fn file(attachment: &Attachment) -> Self {
        Self {
            content_type: attachment.media_type.as_mime(),
            disposition: attachment.content_disposition(),
        }
    }

    pub fn thumbnail(attachment: &Attachment) -> Self {
        Self {
            content_type: THUMBNAIL_TYPE,
            disposition: attachment.content_disposition(),
        }
    }
}

/// Where file bytes live: a local folder, or S3-compatible object storage.
#[async_trait]
pub trait FileStore: Send + Sync {
    async fn writer(
        &self,
        key: &str,
        headers: &ObjectHeaders,
    ) -> anyhow::Result<Box<dyn ObjectWriter>>;
    /// `None` when there is no such object.
    async fn read(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> anyhow::Result<Option<ObjectRead>>;
    /// A URL serving the object straight from storage for a limited time; `None` when the
    /// store signs no URLs and the server streams the bytes itself.
    async fn download_url(&self, key: &str) -> anyhow::Result<Option<String>>;
    async fn delete(&self, key: &str) -> anyhow::Result<()>;
}

/// An image re-encoded without its metadata, and its thumbnail.
pub struct CleanImage {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub thumbnail: Vec<u8>,
}

/// File-type sniffing and image processing; CPU-bound, called off the async runtime.
pub trait MediaTools: Send + Sync {
    /// The MIME type the leading bytes of a file show, if any is recognised.
    fn sniff(&self, head: &[u8]) -> Option<&'static str>;
    /// Decodes and re-encodes an image (dropping EXIF, GPS and every other metadata) and
    /// makes a thumbnail; `Err` for a file that does not decode as `media`.
    fn clean_image(&self, bytes: &[u8], media: MediaType) -> anyhow::Result<CleanImage>;
    /// Width and height as the image's header declares them, without decoding it.
    fn dimensions(&self, bytes: &[u8], media: MediaType) -> anyhow::Result<(u32, u32)>;
}

/// What the attachments handlers are built from; each keeps only the ports it uses.
pub struct AttachmentsPorts {
    pub attachments: Arc<dyn AttachmentRepository>,
    pub conversations: Arc<dyn ConversationRepository>,
    pub store: Arc<dyn FileStore>,
    pub media: Arc<dyn MediaTools>,
    pub clock: Arc<dyn Clock>,
    /// Largest upload accepted, in bytes.
    pub max_bytes: u64,
    pub upload_limit: WriteLimit,
    /// Most pixels an image may declare; more is refused before it is decoded.
    pub max_image_pixels: u64,
    /// Where images are decoded: a few at a time, so memory stays bounded.
    pub images: Arc<ImagePool>,
    pub scanning: Scanning,
}

/// Every attachments handler, built once at startup.
pub struct AttachmentsHandlers {
    pub upload: UploadFileHandler,
    pub attachment: AttachmentHandler,
    pub download: DownloadHandler,
    pub link: DownloadLinkHandler,
}

impl AttachmentsHandlers {
    pub fn new(ports: &AttachmentsPorts) -> Self {
        Self {
            upload: UploadFileHandler::new(ports),
            attachment: AttachmentHandler::new(ports),
            download: DownloadHandler::new(ports),
            link: DownloadLinkHandler::new(ports),
        }
    }
}
