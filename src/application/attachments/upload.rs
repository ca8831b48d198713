use std::ops::Range;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use super::scan::FileScan;
use super::{AttachmentsDeps, ObjectHeaders, ObjectRead};
use crate::application::error::AppError;
use crate::domain::attachments::{Attachment, FileName, MediaType};
use crate::domain::shared::{AttachmentId, UserId};

/// Enough of a file's start for every signature the sniffer knows.
const SNIFF_BYTES: usize = 8192;

/// A file to send back: its metadata and (part of) its bytes.
pub struct Download {
    pub attachment: Attachment,
    pub object: ObjectRead,
}

pub struct AttachmentsHandler {
    deps: Arc<AttachmentsDeps>,
}

impl AttachmentsHandler {
    pub fn new(deps: Arc<AttachmentsDeps>) -> Self {
        Self { deps }
    }

    pub fn max_bytes(&self) -> u64 {
        self.deps.max_bytes
    }

    /// Stores an upload of `me`'s. The type comes from the bytes, checked against the accepted
    /// list before anything is stored; images are re-encoded without metadata and get a
    /// thumbnail (held in memory, within the size limit); other files are streamed through.
    /// With a virus scanner, every byte reaches it on the way and the file is kept only once
    /// it is found clean.
    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn upload<S, E>(
        &self,
        me: UserId,
        name: &str,
        mut body: S,
    ) -> Result<Attachment, AppError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: Into<AppError>,
    {
        let deps = &self.deps;
        deps.upload_limit.spend(me).await?;
        let too_large = AppError::TooLarge {
            limit_bytes: deps.max_bytes,
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
            if head.len() as u64 > deps.max_bytes {
                return Err(too_large);
            }
        }
        if head.is_empty() {
            return Err(AppError::invalid("file", "is empty"));
        }
        let media = deps
            .media
            .sniff(&head)
            .and_then(MediaType::from_mime)
            .ok_or(AppError::UnsupportedMediaType)?;
        let mut scan = deps.scanning.begin().await?;
        let mut attachment = Attachment {
            id: AttachmentId::new(),
            uploader_id: me,
            file_name: FileName::sanitize(name),
            media_type: media,
            size: 0,
            sha256: String::new(),
            width: None,
            height: None,
            has_thumbnail: false,
            conversation_id: None,
            message_id: None,
            created_at: deps.clock.now(),
            avatar_of: None,
        };
        if media.is_image() {
            let mut whole = head;
            if !ended {
                while let Some(chunk) = body.next().await {
                    whole.extend_from_slice(&chunk.map_err(Into::into)?);
                    if whole.len() as u64 > deps.max_bytes {
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
        if let Err(error) = deps.attachments.insert(&attachment).await {
            self.forget(&attachment).await;
            return Err(error.into());
        }
        Ok(attachment)
    }

    async fn store_image(&self, attachment: &mut Attachment, bytes: Bytes) -> Result<(), AppError> {
        let deps = &self.deps;
        let media = deps.media.clone();
        let kind = attachment.media_type;
        // The header alone: a small file may declare more pixels than memory can hold.
        let (width, height) = media
            .dimensions(&bytes, kind)
            .map_err(|_| AppError::UnsupportedMediaType)?;
        if u64::from(width) * u64::from(height) > deps.max_image_pixels {
            return Err(AppError::Unprocessable("image_too_large"));
        }
        let clean = deps
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
        let mut writer = self.deps.store.writer(key, headers).await?;
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
        let deps = &self.deps;
        let headers = ObjectHeaders::file(attachment);
        let mut writer = deps
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
            if size > deps.max_bytes {
                writer.abort().await;
                return Err(AppError::TooLarge {
                    limit_bytes: deps.max_bytes,
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
            if let Err(error) = self.deps.store.delete(&key).await {
                tracing::warn!(%error, key, "stored file not removed");
            }
        }
    }

    /// The attachment if `me` may read it: its uploader, or a participant of the conversation it
    /// was sent to. Anyone else is told it does not exist.
    pub async fn find(&self, me: UserId, id: AttachmentId) -> Result<Attachment, AppError> {
        let deps = &self.deps;
        let not_found = AppError::NotFound("attachment_not_found");
        let attachment = deps.attachments.find(id).await?.ok_or(not_found)?;
        let member = match attachment.shared_in() {
            Some(conversation) if attachment.uploader_id != me => deps
                .conversations
                .find_for_member(conversation, me)
                .await?
                .is_some(),
            _ => false,
        };
        if attachment.readable_by(me, member) {
            Ok(attachment)
        } else {
            Err(AppError::NotFound("attachment_not_found"))
        }
    }

    /// The file, or the `range` of it asked for (`range` within `attachment.size`).
    pub async fn read_file(
        &self,
        attachment: Attachment,
        range: Option<Range<u64>>,
    ) -> Result<Download, AppError> {
        self.open(attachment.storage_key(), attachment, range).await
    }

    pub async fn read_thumbnail(&self, attachment: Attachment) -> Result<Download, AppError> {
        if !attachment.has_thumbnail {
            return Err(AppError::NotFound("thumbnail_not_found"));
        }
        self.open(attachment.thumbnail_key(), attachment, None)
            .await
    }

    /// Where the file (or its thumbnail) can be fetched straight from storage, when the store
    /// signs such links; `None` means the server streams it.
    pub async fn link(
        &self,
        attachment: &Attachment,
        thumbnail: bool,
    ) -> Result<Option<String>, AppError> {
        if thumbnail && !attachment.has_thumbnail {
            return Err(AppError::NotFound("thumbnail_not_found"));
        }
        let key = if thumbnail {
            attachment.thumbnail_key()
        } else {
            attachment.storage_key()
        };
        Ok(self.deps.store.download_url(&key).await?)
    }

    async fn open(
        &self,
        key: String,
        attachment: Attachment,
        range: Option<Range<u64>>,
    ) -> Result<Download, AppError> {
        let object =
            self.deps.store.read(&key, range).await?.ok_or_else(|| {
                AppError::Unexpected(anyhow::anyhow!("stored file {key} is missing"))
            })?;
        Ok(Download { attachment, object })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
