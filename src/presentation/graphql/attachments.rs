//! Uploads through GraphQL's multipart request: `uploadAttachment(file: Upload!)` takes the
//! file the request carried (spooled to a temporary file, within the size limit) through the
//! same use case as `POST /api/v1/attachments`: the same checks, scan and limits.

use async_graphql::{Context, Object, Result, SimpleObject, Upload};
use bytes::Bytes;
use time::OffsetDateTime;
use tokio::io::AsyncReadExt;
use uuid::Uuid;

use super::{state, viewer};
use crate::application::error::AppError;
use crate::presentation::http::attachments::AttachmentResponse;

/// Read from the spooled file at a time.
const CHUNK: usize = 64 * 1024;

#[derive(SimpleObject)]
pub struct Attachment {
    id: Uuid,
    file_name: String,
    /// Sniffed from the bytes.
    content_type: String,
    size: u64,
    sha256: String,
    width: Option<u32>,
    height: Option<u32>,
    /// Fetch with `GET /api/v1/attachments/{id}/thumbnail`.
    has_thumbnail: bool,
    /// Set once the file was sent in a message.
    message_id: Option<Uuid>,
    created_at: OffsetDateTime,
}

impl From<AttachmentResponse> for Attachment {
    fn from(a: AttachmentResponse) -> Self {
        Self {
            id: a.id,
            file_name: a.file_name,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            width: a.width,
            height: a.height,
            has_thumbnail: a.has_thumbnail,
            message_id: a.message_id,
            created_at: a.created_at,
        }
    }
}

#[derive(Default)]
pub struct AttachmentsMutation;

#[Object]
impl AttachmentsMutation {
    /// Upload a file (a GraphQL multipart request); send it with its id in
    /// `sendMessage(input: {attachmentIds})`, or make it an avatar.
    async fn upload_attachment(&self, ctx: &Context<'_>, file: Upload) -> Result<Attachment> {
        let me = viewer(ctx)?;
        let value = file
            .value(ctx)
            .map_err(|e| AppError::invalid("file", format!("could not be read: {e}")))?;
        let name = value.filename.clone();
        let spooled = Some(tokio::fs::File::from_std(value.content));
        let body = futures_util::stream::unfold(spooled, |file| async move {
            let mut file = file?;
            let mut buffer = vec![0; CHUNK];
            match file.read(&mut buffer).await {
                Ok(0) => None,
                Ok(n) => {
                    buffer.truncate(n);
                    Some((Ok(Bytes::from(buffer)), Some(file)))
                }
                Err(error) => {
                    let error = AppError::invalid("file", format!("could not be read: {error}"));
                    Some((Err(error), None))
                }
            }
        });
        let upload = &state(ctx).attachments.upload;
        let stored = upload.handle(me, &name, Box::pin(body)).await?;
        Ok(AttachmentResponse::from(&stored).into())
    }
}
