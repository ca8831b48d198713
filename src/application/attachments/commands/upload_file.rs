use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use crate::application::attachments::scan::FileScan;
use crate::application::attachments::{
    AttachmentsPorts, FileStore, ImagePool, MediaTools, ObjectHeaders, Scanning,
};
use crate::application::error::AppError;
use crate::application::limits::WriteLimit;
use crate::application::ports::Clock;
use crate::domain::attachments::{Attachment, AttachmentRepository, MediaType};
use crate::domain::shared::UserId;

/// Enough of a file's start for every signature the sniffer knows.
const SNIFF_BYTES: usize = 8192;

/// Stores an upload of the caller's. The type comes from the bytes, checked against the
/// accepted list before anything is stored; images are re-encoded without metadata and get a
/// thumbnail (held in memory, within the size limit); other files are streamed through. With a
/// virus scanner, every byte reaches it on the way and the file is kept only once it is found
/// clean.
pub struct UploadFileHandler {
    attachments: Arc<dyn AttachmentRepository>,
    store: Arc<dyn FileStore>,
    media: Arc<dyn MediaTools>,
    clock: Arc<dyn Clock>,
    max_bytes: u64,
    limit: WriteLimit,
    max_image_pixels: u64,
    images: Arc<ImagePool>,
    scanning: Scanning,
}

impl UploadFileHandler {
    pub fn new(ports: &AttachmentsPorts) -> Self {
        Self {
            attachments: ports.attachments.clone(),
            store: ports.store.clone(),
            media: ports.media.clone(),
            clock: ports.clock.clone(),
            max_bytes: ports.max_bytes,
            limit: ports.upload_limit.clone(),
            max_image_pixels: ports.max_image_pixels,
            images: ports.images.clone(),
            scanning: ports.scanning.clone(),
        }
    }

    /// The largest upload accepted, in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn handle<S, E>(
        &self,
        me: UserId,
        name: &str,
        mut body: S,
    ) -> Result<Attachment, AppError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: Into<AppError>,
    {
        self.limit.spend(me).await?;
        let too_large = AppError::TooLarge {
            limit_bytes: self.max_bytes,
        };
        let mut head = BytesMut::new();
        let mut ended = false;
        while head.len() < SNIFF_BYTES {
            match body.next().await {
                Some(chunk) => head.extend_from_slice(&chunk.map_err(Into::into)?),
                None => {
                    ended = true;
                    break;
                }
            }
            if head.len() as u64 > self.max_bytes {
                return Err(too_large);
            }
        }
        if head.is_empty() {
            return Err(AppError::invalid("file", "is empty"));
        }
        let media = self
            .media
            .sniff(&head)
            .and_then(MediaType::from_mime)
            .ok_or(AppError::UnsupportedMediaType)?;
        let mut scan = self.scanning.begin().await?;
        let mut attachment = Attachment::upload(me, name, media, self.clock.now());
        if media.is_image() {
            let mut whole = head;
            if !ended {
                while let Some(chunk) = body.next().await {
                    whole.extend_from_slice(&chunk.map_err(Into::into)?);
                    if whole.len() as u64 > self.max_bytes {
                        return Err(too_large);
                    }
                }
            }
            // Scanned before it is decoded: decoders are where a crafted file attacks.
            scan.feed(&whole).await?;
            scan.verdict().await?;
            self.store_image(&mut attachment, whole.freeze()).await?;
        } else {
            self.store_stream(&mut attachment, head.freeze(), ended, body, scan)
                .await?;
        }
        if let Err(error) = self.attachments.insert(&attachment).await {
            self.forget(&attachment).await;
            return Err(error.into());
        }
        Ok(attachment)
    }

    async fn store_image(&self, attachment: &mut Attachment, bytes: Bytes) -> Result<(), AppError> {
        let media = self.media.clone();
        let kind = attachment.media_type;
        // The header alone: a small file may declare more pixels than memory can hold.
        let (width, height) = media
            .dimensions(&bytes, kind)
            .map_err(|_| AppError::UnsupportedMediaType)?;
        if u64::from(width) * u64::from(height) > self.max_image_pixels {
            return Err(AppError::Unprocessable("image_too_large"));
        }
        let clean = self
            .images
            .run(move || media.clean_image(&bytes, kind))
            .await?
            // Right magic bytes, but no image behind them.
            .map_err(|_| AppError::UnsupportedMediaType)?;
        attachment.size = clean.bytes.len() as u64;
        attachment.sha256 = hex(&Sha256::digest(&clean.bytes));
        attachment.width = Some(clean.width);
        attachment.height = Some(clean.height);
        attachment.has_thumbnail = true;
        let headers = ObjectHeaders::file(attachment);
        self.put(
            &attachment.storage_key(),
            &headers,
            Bytes::from(clean.bytes),
        )
        .await?;
        let headers = ObjectHeaders::thumbnail(attachment);
        if let Err(error) = self
            .put(
                &attachment.thumbnail_key(),
                &headers,
                Bytes::from(clean.thumbnail),
            )
            .await
        {
            self.forget(attachment).await;
            return Err(error);
        }
        Ok(())
    }

    async fn put(&self, key: &str, headers: &ObjectHeaders, bytes: Bytes) -> Result<(), AppError> {
        let mut writer = self.store.writer(key, headers).await?;
        if let Err(error) = writer.write(bytes).await {
            writer.abort().await;
            return Err(error.into());
        }
        Ok(writer.finish().await?)
    }

    async fn store_stream<S, E>(
        &self,
        attachment: &mut Attachment,
        head: Bytes,
        ended: bool,
        mut body: S,
        mut scan: FileScan,
    ) -> Result<(), AppError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: Into<AppError>,
    {
        let headers = ObjectHeaders::file(attachment);
        let mut writer = self
            .store
            .writer(&attachment.storage_key(), &headers)
            .await?;
        let mut hash = Sha256::new();
        let mut size = 0u64;
        let mut pending = Some(head);
        loop {
            let chunk = match pending.take() {
                Some(chunk) => chunk,
                None if ended => break,
                None => match body.next().await {
                    None => break,
                    Some(Ok(chunk)) => chunk,
                    Some(Err(error)) => {
                        writer.abort().await;
                        return Err(error.into());
                    }
                },
            };
            size += chunk.len() as u64;
            if size > self.max_bytes {
                writer.abort().await;
                return Err(AppError::TooLarge {
                    limit_bytes: self.max_bytes,
                });
            }
            hash.update(&chunk);
            if let Err(error) = scan.feed(&chunk).await {
                writer.abort().await;
                return Err(error);
            }
            if let Err(error) = writer.write(chunk).await {
                writer.abort().await;
                return Err(error.into());
            }
        }
        // Nothing becomes visible in the store before the verdict.
        if let Err(error) = scan.verdict().await {
            writer.abort().await;
            return Err(error);
        }
        writer.finish().await?;
        attachment.size = size;
        attachment.sha256 = hex(&hash.finalize());
        Ok(())
    }

    /// Removes stored bytes whose metadata will not be kept.
    async fn forget(&self, attachment: &Attachment) {
        for key in [attachment.storage_key(), attachment.thumbnail_key()] {
            if let Err(error) = self.store.delete(&key).await {
                tracing::warn!(%error, key, "stored file not removed");
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
