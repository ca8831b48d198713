//! `/api/v1/conversations/{id}/messages…`: history, sending, editing, deleting and threads.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::extract::AuthUser;
use super::input::{Json, MessagePath, Query};
use super::problem::Problem;
use super::seq_cursor::SeqCursor;
use super::{AppState, validated};
use crate::application::error::{AppError, FieldErrors};
use crate::application::messages::{EditMessage, HistoryPage, MessageView, SendMessage, Thread};
use crate::domain::conversations::Post;
use crate::domain::messages::{ClientMessageId, HistoryRange, MessageContent};
use crate::domain::shared::{AttachmentId, ConversationId, MessageId, UserId};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(history)
        .service(send_message)
        .service(edit_message)
        .service(delete_message)
        .service(thread);
}

/// The wire form of a reaction count (documentation: `Reaction` serialises it).
#[derive(ToSchema)]
pub struct ReactionResponse {
    pub emoji: String,
    pub count: u64,
    /// Whether the caller is among them.
    pub me: bool,
}

/// Who wrote a message.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum MessageKindBody {
    /// A person.
    Text,
    /// The server, telling of something (a case assigned, queued, resolved; a business
    /// closed): `sender_id` is the user it is about. It cannot be edited or deleted.
    System,
}

/// The wire form of a message, for the document; `MessageView` serialises it, over REST and
/// the socket alike.
#[derive(ToSchema)]
pub struct MessageResponse {
    pub id: Uuid,
    pub conversation_id: Uuid,
    /// Per-conversation, gap-free, strictly increasing: order and catch up by it.
    pub seq: i64,
    pub sender_id: Uuid,
    pub kind: MessageKindBody,
    /// `null` once deleted.
    pub content: Option<String>,
    /// Echoed so the sending device can match its pending message.
    pub client_message_id: Option<String>,
    pub reply_to: Option<Uuid>,
    pub reply_count: i64,
    pub mentions: Vec<Uuid>,
    /// Files sent with it (`GET /attachments/{id}`); empty once deleted.
    pub attachment_ids: Vec<Uuid>,
    pub reactions: Vec<ReactionResponse>,
    pub created_at: OffsetDateTime,
    pub edited_at: Option<OffsetDateTime>,
    pub deleted: bool,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
pub struct HistoryQuery {
    /// Messages before this seq (newest first page when both cursors are absent).
    #[validate(range(min = 1, message = "must be at least 1"))]
    #[param(minimum = 1)]
    pub before_seq: Option<i64>,
    /// Messages after this seq, oldest first: the catch-up direction.
    #[validate(range(min = 0, message = "must be at least 0"))]
    #[param(minimum = 0)]
    pub after_seq: Option<i64>,
    /// 1 to 100, default 50.
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page (not with `before_seq` or `after_seq`).
    #[param(pattern = "^(b[1-9][0-9]{0,18}|a[0-9]{1,19})$")]
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryResponse {
    /// Ascending by seq.
    #[schema(value_type = Vec<MessageResponse>)]
    pub messages: Vec<MessageView>,
    /// More messages lie beyond this page in the direction read.
    pub has_more: bool,
    /// The `cursor` of the next page in the same direction; `null` on the last one.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"content": "Hello!", "client_message_id": "c-42"}))]
#[serde(deny_unknown_fields)]
pub struct SendMessageBody {
    /// 1 to 4000 characters; may be empty or left out when `attachment_ids` has files.
    #[serde(default)]
    pub content: String,
    /// The sender's idempotency key (1 to 64 printable ASCII): a retry with it returns the
    /// original message with 200.
    #[schema(pattern = "^[!-~]{1,64}$")]
    pub client_message_id: Option<String>,
    /// Reply in the thread of this message.
    pub reply_to: Option<Uuid>,
    /// Participants mentioned.
    #[serde(default)]
    pub mentions: Vec<Uuid>,
    /// Up to 10 of the sender's uploads (`POST /attachments`) not sent yet.
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
}

impl SendMessageBody {
    /// The command, with every field checked (REST and GraphQL share it).
    pub(crate) fn into_command(
        self,
        conversation_id: ConversationId,
    ) -> Result<SendMessage, AppError> {
        let mut errors = FieldErrors::default();
        let has_files = !self.attachment_ids.is_empty();
        let content = errors.check(
            "content",
            MessageContent::parse_with_files(&self.content, has_files),
        );
        let client_message_id = self
            .client_message_id
            .map(|raw| errors.check("client_message_id", ClientMessageId::parse(&raw)));
        let (Some(content), true) = (content, errors.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        let post = Post {
            content,
            client_message_id: client_message_id.flatten(),
            reply_to: self.reply_to.map(MessageId::from_uuid),
            mentions: self.mentions.into_iter().map(UserId::from_uuid).collect(),
            attachment_ids: self
                .attachment_ids
                .into_iter()
                .map(AttachmentId::from_uuid)
                .collect(),
        };
        Ok(SendMessage {
            conversation_id,
            post,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditMessageBody {
    /// 1 to 4000 characters once trimmed.
    #[schema(max_length = 4000, pattern = r"\S")]
    pub content: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
pub struct ThreadQuery {
    /// Replies after this seq.
    #[validate(range(min = 0, message = "must be at least 0"))]
    #[param(minimum = 0)]
    pub after_seq: Option<i64>,
    /// 1 to 100, default 50.
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page (not with `after_seq`).
    #[param(pattern = "^a[0-9]{1,19}$")]
    pub cursor: Option<String>,
}

impl ThreadQuery {
    /// The replies asked for: after which seq, and how many.
    fn page(&self) -> Result<(i64, u64), AppError> {
        validated(self)?;
        match SeqCursor::resolve(self.cursor.as_deref(), None, self.after_seq)? {
            (None, after_seq) => Ok((after_seq.unwrap_or(0), self.limit.unwrap_or(50))),
            (Some(_), _) => Err(AppError::invalid("cursor", "is not a cursor of replies")),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadResponse {
    #[schema(value_type = MessageResponse)]
    pub root: MessageView,
    #[schema(value_type = Vec<MessageResponse>)]
    pub replies: Vec<MessageView>,
    pub has_more: bool,
    /// The `cursor` of the next page of replies; `null` on the last one.
    pub next_cursor: Option<String>,
}

impl From<Thread> for ThreadResponse {
    fn from(found: Thread) -> Self {
        Self {
            root: found.root,
            replies: found.replies,
            has_more: found.has_more,
            next_cursor: found.next_seq.map(|seq| SeqCursor::After(seq).encode()),
        }
    }
}

/// Message history by seq. No cursor: the newest page. `before_seq`: older messages.
/// `after_seq`: newer ones, oldest first (catch-up after a reconnect).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "messages",
    security(("bearer" = [])), params(("id" = Uuid, Path), HistoryQuery),
    responses((status = 200, body = HistoryResponse),
    (status = 404, description = "`conversation_not_found`"),
    (status = 422, description = "Bad cursor or limit")))]
#[get("/conversations/{id}/messages")]
pub async fn history(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: Query<HistoryQuery>,
) -> Result<HttpResponse, Problem> {
    let range = query.range()?;
    let page = state
        .messages
        .history
        .handle(user.id(), ConversationId::from_uuid(*id), range)
        .await?;
    Ok(HttpResponse::Ok().json(HistoryResponse::of(page, range)))
}

impl HistoryQuery {
    /// The range asked for, cursors resolved.
    pub(crate) fn range(&self) -> Result<HistoryRange, AppError> {
        validated(self)?;
        let (before_seq, after_seq) =
            SeqCursor::resolve(self.cursor.as_deref(), self.before_seq, self.after_seq)?;
        Ok(HistoryRange {
            before_seq,
            after_seq,
            limit: self.limit.unwrap_or(50),
        })
    }
}

impl HistoryResponse {
    pub(crate) fn of(page: HistoryPage, range: HistoryRange) -> Self {
        let next = |seq| match range.after_seq {
            Some(_) => SeqCursor::After(seq),
            None => SeqCursor::Before(seq),
        };
        Self {
            messages: page.messages,
            has_more: page.has_more,
            next_cursor: page.next_seq.map(|seq| next(seq).encode()),
        }
    }
}

/// Send a message. With a `client_message_id` already used by the caller here, returns the
/// original with 200 instead of storing a duplicate.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "messages",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = SendMessageBody,
    responses((status = 201, description = "Stored", body = MessageResponse),
    (status = 200, description = "A retry: the original message", body = MessageResponse),
    (status = 403, description = "`channel_is_admin_only`, or `direct_chat_not_allowed` (a block, told apart from nothing else)"),
    (status = 404, description = "`conversation_not_found`"),
    (status = 429, description = "`rate_limited`: over the user's message limit; see `Retry-After`"),
    (status = 503, description = "`rate_limiter_unavailable`: the limit cannot be counted (`when_redis_down = refuse`)"),
    (status = 422, description = "Invalid fields")))]
#[post("/conversations/{id}/messages")]
pub async fn send_message(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<SendMessageBody>,
) -> Result<HttpResponse, Problem> {
    let command = body
        .into_inner()
        .into_command(ConversationId::from_uuid(*id))?;
    let (view, created) = state.messages.send.handle(user.id(), command).await?;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// Edit a message's text (author only).
#[utoipa::path(patch, path = "/api/v1/conversations/{id}/messages/{message_id}", tag = "messages",
    security(("bearer" = [])), params(("id" = Uuid, Path), ("message_id" = Uuid, Path)),
    request_body = EditMessageBody,
    responses((status = 200, body = MessageResponse), (status = 403, description = "`not_author`"),
    (status = 404, description = "`conversation_not_found` or `message_not_found`"),
    (status = 409, description = "`message_deleted`"),
    (status = 422, description = "Invalid content")))]
#[patch("/conversations/{id}/messages/{message_id}")]
pub async fn edit_message(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<MessagePath>,
    body: Json<EditMessageBody>,
) -> Result<HttpResponse, Problem> {
    let (conversation_id, message_id) = path.ids();
    let content = MessageContent::parse(&body.content).map_err(AppError::from)?;
    let command = EditMessage {
        conversation_id,
        message_id,
        content,
    };
    let view = state.messages.edit.handle(user.id(), command).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Delete a message (author, or an owner or admin): its content disappears, its seq stays.
#[utoipa::path(delete, path = "/api/v1/conversations/{id}/messages/{message_id}", tag = "messages",
    security(("bearer" = [])), params(("id" = Uuid, Path), ("message_id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 403, description = "`not_author`"),
    (status = 404, description = "`conversation_not_found` or `message_not_found`")))]
#[delete("/conversations/{id}/messages/{message_id}")]
pub async fn delete_message(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<MessagePath>,
) -> Result<HttpResponse, Problem> {
    let (id, message_id) = path.ids();
    state
        .messages
        .delete
        .handle(user.id(), id, message_id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A message and the replies in its thread, oldest first.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages/{message_id}/thread",
    tag = "messages", security(("bearer" = [])), params(("id" = Uuid, Path),
    ("message_id" = Uuid, Path), ThreadQuery),
    responses((status = 200, body = ThreadResponse),
    (status = 404, description = "`conversation_not_found` or `message_not_found`")))]
#[get("/conversations/{id}/messages/{message_id}/thread")]
pub async fn thread(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<MessagePath>,
    query: Query<ThreadQuery>,
) -> Result<HttpResponse, Problem> {
    let (id, message_id) = path.ids();
    let (after, limit) = query.page()?;
    let found = state
        .messages
        .thread
        .handle(user.id(), id, message_id, after, limit)
        .await?;
    Ok(HttpResponse::Ok().json(ThreadResponse::from(found)))
}
