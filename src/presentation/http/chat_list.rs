//! `GET /api/v1/conversations`: the chat list, newest activity first.

use actix_web::{HttpResponse, get, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::conversations::KindResponse;
use super::extract::AuthUser;
use super::input::Query;
use super::participants::RoleBody;
use super::problem::Problem;
use super::{AppState, check, cursor};
use crate::application::conversations::ChatList;
use crate::application::error::{AppError, FieldErrors};
use crate::domain::conversations::ChatListCursor;
use crate::domain::conversations::ChatListEntry;
use crate::domain::shared::ConversationId;
use crate::domain::users::Profile;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(chat_list);
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
pub struct PageQuery {
    /// 1 to 100, default 50.
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page asked for: where it starts, and how many.
    fn into_page(self) -> Result<(Option<ChatListCursor>, u64), AppError> {
        let mut errors = FieldErrors::default();
        check(&self, &mut errors);
        let cursor = cursor(self.cursor.as_deref(), decode_cursor, &mut errors);
        errors.into_result()?;
        Ok((cursor, self.limit.unwrap_or(50)))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LastMessageResponse {
    pub id: Uuid,
    pub seq: i64,
    pub sender_id: Uuid,
    /// `null` when deleted.
    pub content: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserSummary {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub avatar_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatListItem {
    pub id: Uuid,
    pub kind: KindResponse,
    pub title: Option<String>,
    pub avatar_id: Option<Uuid>,
    pub last_seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub last_activity_at: OffsetDateTime,
    /// Messages after my read marker, not mine, not deleted.
    pub unread_count: i64,
    pub muted: bool,
    pub role: RoleBody,
    pub read_seq: i64,
    pub last_message: Option<LastMessageResponse>,
    /// The other participant of a direct chat.
    pub other_user: Option<UserSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatListResponse {
    pub conversations: Vec<ChatListItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl From<ChatList> for ChatListResponse {
    fn from(list: ChatList) -> Self {
        let conversations = list
            .entries
            .into_iter()
            .map(|entry| {
                let other = entry.other_user;
                let other = other.and_then(|id| list.profiles.iter().find(|p| p.id == id));
                ChatListItem::new(entry, other)
            })
            .collect();
        Self {
            conversations,
            next_cursor: list.next.map(encode_cursor),
        }
    }
}

impl ChatListItem {
    fn new(entry: ChatListEntry, other_user: Option<&Profile>) -> Self {
        let c = entry.conversation;
        Self {
            id: c.id.as_uuid(),
            kind: c.kind.into(),
            title: c.title.map(|t| t.as_str().to_owned()),
            avatar_id: c.avatar_id,
            last_seq: c.last_seq,
            last_activity_at: c.last_activity_at,
            unread_count: entry.unread,
            muted: entry.me.muted,
            role: entry.me.role.into(),
            read_seq: entry.me.read_seq,
            last_message: entry.last_message.map(|m| LastMessageResponse {
                id: m.id.as_uuid(),
                seq: m.seq,
                sender_id: m.sender_id.as_uuid(),
                content: m.content,
                created_at: m.created_at,
            }),
            other_user: other_user.map(|p| UserSummary {
                id: p.id.as_uuid(),
                username: p.username.as_str().to_owned(),
                display_name: p.display_name.as_str().to_owned(),
                avatar_id: p.avatar_id,
            }),
        }
    }
}

pub(crate) fn encode_cursor(cursor: ChatListCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "{}:{}",
        cursor.last_activity_at.unix_timestamp_nanos(),
        cursor.id
    ))
}

pub(crate) fn decode_cursor(raw: &str) -> Option<ChatListCursor> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(raw).ok()?).ok()?;
    let (nanos, id) = text.split_once(':')?;
    let last_activity_at = OffsetDateTime::from_unix_timestamp_nanos(nanos.parse().ok()?).ok()?;
    Some(ChatListCursor {
        last_activity_at,
        id: ConversationId::from_uuid(id.parse().ok()?),
    })
}

/// The chat list: the caller's conversations by last activity, with the last message, unread
/// count and mute flag.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations",
    security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = ChatListResponse),
    (status = 422, description = "Bad limit or cursor")))]
#[get("/conversations")]
pub async fn chat_list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<PageQuery>,
) -> Result<HttpResponse, Problem> {
    let (cursor, limit) = query.into_inner().into_page()?;
    let list = state
        .conversations
        .chat_list
        .handle(user.id(), cursor, limit)
        .await?;
    Ok(HttpResponse::Ok().json(ChatListResponse::from(list)))
}
