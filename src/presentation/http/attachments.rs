//! `/api/v1/attachments`: multipart upload, download (with ranges) and thumbnails.

use std::ops::Range;
use std::pin::Pin;

use actix_multipart::{Multipart, MultipartError};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, get, post, web};
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::extract::AuthUser;
use super::problem::Problem;
use crate::application::attachments::{CACHE_CONTROL, Download, Part, THUMBNAIL_TYPE};
use crate::application::error::AppError;
use crate::domain::attachments::Attachment;
use crate::domain::shared::AttachmentId;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(upload_attachment)
        .service(get_thumbnail)
        .service(download_attachment);
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file; its type is decided from its bytes.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentResponse {
    pub id: Uuid,
    pub file_name: String,
    /// Sniffed from the bytes: image/png, image/jpeg, image/gif, image/webp, application/pdf,
    /// video/mp4, audio/mpeg or audio/ogg.
    pub content_type: String,
    pub size: u64,
    /// SHA-256 of the stored bytes (images are stored re-encoded, without metadata).
    pub sha256: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub has_thumbnail: bool,
    /// Set once the file was sent in a message.
    pub message_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&Attachment> for AttachmentResponse {
    fn from(a: &Attachment) -> Self {
        Self {
            id: a.id.as_uuid(),
            file_name: a.file_name.as_str().to_owned(),
            content_type: a.media_type.as_mime().to_owned(),
            size: a.size,
            sha256: a.sha256.clone(),
            width: a.width,
            height: a.height,
            has_thumbnail: a.has_thumbnail,
            message_id: a.message_id.map(|m| m.as_uuid()),
            created_at: a.created_at,
        }
    }
}

fn multipart_problem(error: MultipartError) -> Problem {
    match error {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the file as multipart/form-data, in a field named `file`.",
        ),
        other => Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed_body",
            format!("The multipart body could not be read: {other}."),
        ),
    }
}

/// Upload a file (multipart field `file`), streamed to storage. Its type is sniffed from its
/// bytes and must be on the accepted list; images are re-encoded without EXIF/GPS metadata and
/// get a thumbnail. Send it in a message with `attachment_ids`; files never sent are removed
/// after a while.
#[utoipa::path(post, path = "/api/v1/attachments", tag = "attachments", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, description = "Stored", body = AttachmentResponse),
    (status = 400, description = "Malformed multipart body"),
    (status = 413, description = "`too_large`: over the size limit"),
    (status = 415, description = "`unsupported_media_type`: not multipart, or the file's bytes are not of an accepted type"),
    (status = 429, description = "`rate_limited`: over the user's upload limit; see `Retry-After`"),
    (status = 503, description = "`rate_limiter_unavailable`: the limit cannot be counted (`when_redis_down = refuse`); `scanner_unavailable`: the virus scanner cannot answer (`clamav_when_down = refuse`)"),
    (status = 422, description = "`validation_failed`: no `file` field, or an empty file; `image_too_large`; `infected_file`: the virus scanner found malware, nothing was kept")))]
#[post("/attachments")]
pub async fn upload_attachment(
    state: web::Data<AppState>,
    user: AuthUser,
    mut form: Multipart,
) -> Result<HttpResponse, Problem> {
    let (name, body) = file_field(&mut form).await?;
    let attachment = state
        .attachments
        .upload
        .handle(user.id(), &name, body)
        .await?;
    Ok(HttpResponse::Created().json(AttachmentResponse::from(&attachment)))
}

/// An uploaded file's bytes as they arrive.
type Upload = Pin<Box<dyn Stream<Item = Result<web::Bytes, AppError>>>>;

/// The form's `file` field, by its file name, as a stream of chunks. Other fields before it are
/// read and dropped, a bounded amount.
async fn file_field(form: &mut Multipart) -> Result<(String, Upload), Problem> {
    let only_file = || AppError::invalid("file", "send only the `file` field");
    let mut fields = 0;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(multipart_problem)?;
        fields += 1;
        if fields > 10 {
            return Err(only_file().into());
        }
        if field.name() == Some("file") {
            let name = field.content_disposition().and_then(|d| d.get_filename());
            let name = name.unwrap_or("file").to_owned();
            let body = field.map(|chunk| {
                chunk.map_err(|e| AppError::invalid("file", format!("could not be read: {e}")))
            });
            return Ok((name, Box::pin(body)));
        }
        let mut seen = 0usize;
        while let Some(chunk) = field.next().await {
            seen += chunk.map_err(multipart_problem)?.len();
            if seen > 64 * 1024 {
                return Err(only_file().into());
            }
        }
    }
    let missing = "is required: send the file in a multipart field named `file`";
    Err(AppError::invalid("file", missing).into())
}

/// A single byte range of `bytes=a-b`, `bytes=a-` or `bytes=-n`, within `size`; `Err` when it
/// cannot be satisfied. Anything else (several ranges, other units) is ignored: the whole file.
fn parse_range(header: &str, size: u64) -> Result<Option<Range<u64>>, ()> {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let range = match (start.parse::<u64>(), end.parse::<u64>()) {
        (Ok(start), Ok(end)) if start <= end => start..end.saturating_add(1).min(size),
        (Ok(start), Err(_)) if end.is_empty() => start..size,
        (Err(_), Ok(suffix)) if start.is_empty() && suffix > 0 => size.saturating_sub(suffix)..size,
        _ => return Ok(None),
    };
    if range.start >= size || range.is_empty() {
        return Err(());
    }
    Ok(Some(range))
}

fn stream(download: Download, status: StatusCode, content_type: &str) -> HttpResponse {
    let a = &download.attachment;
    let object = download.object;
    let mut response = HttpResponse::build(status);
    response
        .insert_header((header::CONTENT_TYPE, content_type.to_owned()))
        .insert_header((
            header::CONTENT_LENGTH,
            object.range.end - object.range.start,
        ))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .insert_header((header::CONTENT_DISPOSITION, a.content_disposition()));
    if status == StatusCode::PARTIAL_CONTENT {
        response.insert_header((
            header::CONTENT_RANGE,
            format!(
                "bytes {}-{}/{}",
                object.range.start,
                object.range.end - 1,
                object.size
            ),
        ));
    }
    response.streaming(
        object
            .body
            .map(|chunk| chunk.map_err(actix_web::error::ErrorInternalServerError)),
    )
}

/// The attachment, if the caller may read it, and `part`'s signed storage URL where the store
/// gives one.
async fn locate(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
    part: &Part,
) -> Result<(Attachment, Option<String>), Problem> {
    let handlers = &state.attachments;
    let id = AttachmentId::from_uuid(id);
    let attachment = handlers.attachment.handle(user.id(), id).await?;
    let direct = handlers.link.handle(&attachment, part).await?;
    Ok((attachment, direct))
}

/// Sends the client to a signed storage URL; it expires, so the redirect itself is not cached.
fn redirect(url: String) -> HttpResponse {
    HttpResponse::TemporaryRedirect()
        .insert_header((header::LOCATION, url))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Download a file: its uploader, or any participant of the conversation it was sent to.
/// Honours a single `Range: bytes=…`. With signed storage URLs configured, answers 307 to one
/// instead (valid for `attachments.s3.presign_ttl_secs`; ranges then go to the store).
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "attachments",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
    (status = 206, description = "The range asked for", content_type = "application/octet-stream"),
    (status = 307, description = "Fetch the file from the signed storage URL in `Location`"),
    (status = 404, description = "`attachment_not_found` (also when not yours to read)"),
    (status = 416, description = "`range_not_satisfiable`")))]
#[get("/attachments/{id}")]
pub async fn download_attachment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    request: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let (attachment, direct) = locate(&state, &user, *id, &Part::File(None)).await?;
    if let Some(url) = direct {
        return Ok(redirect(url));
    }
    let requested = request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    let range = match requested.map(|r| parse_range(r, attachment.size)) {
        None | Some(Ok(None)) => None,
        Some(Ok(Some(range))) => Some(range),
        Some(Err(())) => return Ok(unsatisfiable(attachment.size)),
    };
    let status = match range {
        Some(_) => StatusCode::PARTIAL_CONTENT,
        None => StatusCode::OK,
    };
    let content_type = attachment.media_type.as_mime();
    let download = state
        .attachments
        .download
        .handle(attachment, Part::File(range))
        .await?;
    Ok(stream(download, status, content_type))
}

/// The 416 answer to a `Range` a file of `size` bytes cannot satisfy.
fn unsatisfiable(size: u64) -> HttpResponse {
    let message = format!("The file has {size} bytes.");
    let code = "range_not_satisfiable";
    let mut response =
        Problem::new(StatusCode::RANGE_NOT_SATISFIABLE, code, message).error_response();
    if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
        response.headers_mut().insert(header::CONTENT_RANGE, value);
    }
    response
}

/// A JPEG thumbnail of an image (at most 320 pixels on its longer side).
#[utoipa::path(get, path = "/api/v1/attachments/{id}/thumbnail", tag = "attachments",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The thumbnail", content_type = "image/jpeg"),
    (status = 307, description = "Fetch the thumbnail from the signed storage URL in `Location`"),
    (status = 404, description = "`attachment_not_found`, or `thumbnail_not_found` for a file that is not an image")))]
#[get("/attachments/{id}/thumbnail")]
pub async fn get_thumbnail(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let (attachment, direct) = locate(&state, &user, *id, &Part::Thumbnail).await?;
    if let Some(url) = direct {
        return Ok(redirect(url));
    }
    let download = state
        .attachments
        .download
        .handle(attachment, Part::Thumbnail)
        .await?;
    Ok(stream(download, StatusCode::OK, THUMBNAIL_TYPE))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_resolve_within_the_file() {
        assert_eq!(parse_range("bytes=0-9", 100), Ok(Some(0..10)));
        assert_eq!(parse_range("bytes=90-", 100), Ok(Some(90..100)));
        assert_eq!(parse_range("bytes=-10", 100), Ok(Some(90..100)));
        assert_eq!(parse_range("bytes=50-500", 100), Ok(Some(50..100)));
        let whole = format!("bytes=0-{}", u64::MAX);
        assert_eq!(parse_range(&whole, 100), Ok(Some(0..100)));
        assert_eq!(parse_range("bytes=100-", 100), Err(()));
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Ok(None));
        assert_eq!(parse_range("items=0-1", 100), Ok(None));
        assert_eq!(parse_range("bytes=9-1", 100), Ok(None));
    }
}
