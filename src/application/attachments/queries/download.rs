use std::ops::Range;
use std::sync::Arc;

use crate::application::attachments::{AttachmentsPorts, FileStore, ObjectRead};
use crate::application::error::AppError;
use crate::domain::attachments::Attachment;

/// Which bytes of an attachment to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// The file, or the range of it asked for (within `attachment.size`).
    File(Option<Range<u64>>),
    /// The JPEG thumbnail of an image.
    Thumbnail,
}

impl Part {
    fn key(&self, attachment: &Attachment) -> Result<String, AppError> {
        match self {
            Self::File(_) => Ok(attachment.storage_key()),
            Self::Thumbnail if attachment.has_thumbnail => Ok(attachment.thumbnail_key()),
            Self::Thumbnail => Err(AppError::NotFound("thumbnail_not_found")),
        }
    }
}

/// A file to send back: its metadata and (part of) its bytes.
pub struct Download {
    pub attachment: Attachment,
    pub object: ObjectRead,
}

/// The bytes of an attachment the caller may read (`AttachmentHandler` decides that).
pub struct DownloadHandler {
    store: Arc<dyn FileStore>,
}

impl DownloadHandler {
    pub fn new(ports: &AttachmentsPorts) -> Self {
        Self {
            store: ports.store.clone(),
        }
    }

    pub async fn handle(&self, attachment: Attachment, part: Part) -> Result<Download, AppError> {
        let key = part.key(&attachment)?;
        let range = match part {
            Part::File(range) => range,
            Part::Thumbnail => None,
        };
        let object =
            self.store.read(&key, range).await?.ok_or_else(|| {
                AppError::Unexpected(anyhow::anyhow!("stored file {key} is missing"))
            })?;
        Ok(Download { attachment, object })
    }
}

/// Where an attachment's file (or thumbnail) can be fetched straight from storage, when the
/// store signs such links; `None` means the server streams it.
pub struct DownloadLinkHandler {
    store: Arc<dyn FileStore>,
}

impl DownloadLinkHandler {
    pub fn new(ports: &AttachmentsPorts) -> Self {
        Self {
            store: ports.store.clone(),
        }
    }

    pub async fn handle(
        &self,
        attachment: &Attachment,
        part: &Part,
    ) -> Result<Option<String>, AppError> {
        let key = part.key(attachment)?;
        Ok(self.store.download_url(&key).await?)
    }
}
