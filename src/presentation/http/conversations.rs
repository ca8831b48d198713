//! `/api/v1/conversations`: the chat list, conversations, participants and mute.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::extract::AuthUser;
use super::input::{Json, Query};
use super::problem::Problem;
use super::{AppState, check};
use crate::application::conversations::{ConversationView, CreateConversation, UpdateConversation};
use crate::application::error::{AppError, FieldErrors};
use crate::domain::conversations::{
    ChatListCursor, ConversationKind, Description, Participant, Role, Title,
};
use crate::domain::shared::{ConversationId, UserId};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(chat_list)
        .service(create_conversation)
        .service(get_conversation)
        .service(update_conversation)
        .service(delete_conversation)
        .service(list_participants)
        .service(add_participants)
        .service(remove_participant)
        .service(change_role)
        .service(mute)
        .service(unmute);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum KindBody {
    Direct,
    Group,
    Channel,
}

/// A conversation's kind as answered: also `business`, a customer's chat with a business
/// (opened through `/businesses/{id}/cases`, never created here).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum KindResponse {
    Direct,
    Group,
    Channel,
    Business,
}

impl From<ConversationKind> for KindResponse {
    fn from(kind: ConversationKind) -> Self {
        match kind {
            ConversationKind::Direct => Self::Direct,
            ConversationKind::Group => Self::Group,
            ConversationKind::Channel => Self::Channel,
            ConversationKind::Business => Self::Business,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleBody {
    Owner,
    Admin,
    Member,
}

impl From<Role> for RoleBody {
    fn from(role: Role) -> Self {
        match role {
            Role::Owner => Self::Owner,
            Role::Admin => Self::Admin,
            Role::Member => Self::Member,
        }
    }
}

impl From<RoleBody> for Role {
    fn from(role: RoleBody) -> Self {
        match role {
            RoleBody::Owner => Self::Owner,
            RoleBody::Admin => Self::Admin,
            RoleBody::Member => Self::Member,
        }
    }
}

/// `direct` needs `user_id`; `group` and `channel` need `title` and take `member_ids`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"kind": "group", "title": "Book club", "member_ids": ["01935f5e-8b5c-7cc4-9d1e-6e1f2a3b4c5d"]}))]
#[serde(deny_unknown_fields)]
pub struct CreateConversationBody {
    pub kind: KindBody,
    pub user_id: Option<Uuid>,
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub member_ids: Vec<Uuid>,
}

impl CreateConversationBody {
    pub(crate) fn into_command(self) -> Result<CreateConversation, AppError> {
        let mut errors = FieldErrors::default();
        if self.kind == KindBody::Direct {
            let Some(user_id) = self.user_id else {
                return Err(AppError::invalid(
                    "user_id",
                    "is required for a direct chat",
                ));
            };
            return Ok(CreateConversation::Direct {
                with: UserId::from_uuid(user_id),
            });
        }
        let title = match self.title {
            Some(raw) => errors.check("title", Title::parse(&raw)),
            None => {
                errors.add("title", "is required for a group or channel");
                None
            }
        };
        let description = errors.check(
            "description",
            Description::parse(self.description.as_deref().unwrap_or_default()),
        );
        if self.member_ids.len() > 1000 {
            errors.add("member_ids", "at most 1000 at once");
        }
        let (Some(title), Some(description), true) = (title, description, errors.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        let kind = if self.kind == KindBody::Channel {
            ConversationKind::Channel
        } else {
            ConversationKind::Group
        };
        let members = self.member_ids.into_iter().map(UserId::from_uuid).collect();
        Ok(CreateConversation::Group {
            kind,
            title,
            description,
            members,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConversationBody {
    pub title: Option<String>,
    pub description: Option<String>,
    /// An image the caller uploaded and has not sent (else 422): kept from then on, readable
    /// by the conversation's members; the avatar it replaces is removed. `null` removes the avatar.
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub avatar_id: Option<Option<Uuid>>,
}

impl UpdateConversationBody {
    pub(crate) fn into_changes(self) -> Result<UpdateConversation, AppError> {
        let mut errors = FieldErrors::default();
        let title = self.title.map(|t| errors.check("title", Title::parse(&t)));
        let description = self
            .description
            .map(|d| errors.check("description", Description::parse(&d)));
        errors.into_result()?;
        Ok(UpdateConversation {
            title: title.flatten(),
            description: description.flatten(),
            avatar_id: self.avatar_id,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationResponse {
    pub id: Uuid,
    pub kind: KindResponse,
    pub title: Option<String>,
    pub description: String,
    pub avatar_id: Option<Uuid>,
    pub created_by: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// The seq of the newest message (0: none yet).
    pub last_seq: i64,
    pub participant_count: u64,
    /// The caller's role.
    pub role: RoleBody,
    pub muted: bool,
    pub read_seq: i64,
    pub delivered_seq: i64,
    /// The other participant of a direct chat.
    pub other_user_id: Option<Uuid>,
}

impl From<ConversationView> for ConversationResponse {
    fn from(view: ConversationView) -> Self {
        let c = view.conversation;
        Self {
            id: c.id.as_uuid(),
            kind: c.kind.into(),
            title: c.title.map(|t| t.as_str().to_owned()),
            description: c.description.as_str().to_owned(),
            avatar_id: c.avatar_id,
            created_by: c.created_by.as_uuid(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            last_seq: c.last_seq,
            participant_count: view.participant_count,
            role: view.me.role.into(),
            muted: view.me.muted,
            read_seq: view.me.read_seq,
            delivered_seq: view.me.delivered_seq,
            other_user_id: view.other_user.map(|u| u.as_uuid()),
        }
    }
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

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantResponse {
    pub user_id: Uuid,
    pub role: RoleBody,
    #[serde(with = "time::serde::rfc3339")]
    pub joined_at: OffsetDateTime,
    pub read_seq: i64,
    pub delivered_seq: i64,
}

impl From<Participant> for ParticipantResponse {
    fn from(p: Participant) -> Self {
        Self {
            user_id: p.user_id.as_uuid(),
            role: p.role.into(),
            joined_at: p.joined_at,
            read_seq: p.read_seq,
            delivered_seq: p.delivered_seq,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantListResponse {
    pub participants: Vec<ParticipantResponse>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddParticipantsBody {
    pub user_ids: Vec<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddedResponse {
    /// Who joined (those already in are left out).
    pub added: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRoleBody {
    pub role: RoleBody,
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
    let mut errors = FieldErrors::default();
    check(&*query, &mut errors);
    let cursor = match query.cursor.as_deref() {
        Some(raw) => {
            let decoded = decode_cursor(raw);
            if decoded.is_none() {
                errors.add("cursor", "is not a cursor from this API");
            }
            decoded
        }
        None => None,
    };
    errors.into_result()?;
    let list = state
        .conversations
        .chat_list
        .handle(user.id(), cursor, query.limit.unwrap_or(50))
        .await?;
    let conversations = list
        .entries
        .into_iter()
        .map(|entry| {
            let other_user = entry
                .other_user
                .and_then(|id| list.profiles.iter().find(|p| p.id == id))
                .map(|p| UserSummary {
                    id: p.id.as_uuid(),
                    username: p.username.as_str().to_owned(),
                    display_name: p.display_name.as_str().to_owned(),
                    avatar_id: p.avatar_id,
                });
            let c = entry.conversation;
            ChatListItem {
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
                other_user,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(ChatListResponse {
        conversations,
        next_cursor: list.next.map(encode_cursor),
    }))
}

/// Start a conversation. A direct chat that exists already is returned with 200.
#[utoipa::path(post, path = "/api/v1/conversations", tag = "conversations",
    security(("bearer" = [])), request_body = CreateConversationBody,
    responses((status = 201, description = "Created", body = ConversationResponse),
    (status = 200, description = "The existing direct chat", body = ConversationResponse),
    (status = 403, description = "`direct_chat_not_allowed`: the user only takes direct chats from contacts, or a block (the two answer alike); `group_invite_not_allowed`: a member's group_invites setting refuses the creator"),
    (status = 404, description = "`user_not_found`"),
    (status = 409, description = "`conversation_full`"),
    (status = 429, description = "`rate_limited`: over the user's conversation creation limit; see `Retry-After`"),
    (status = 503, description = "`rate_limiter_unavailable`: the limit cannot be counted (`when_redis_down = refuse`)"),
    (status = 422, description = "Invalid fields")))]
#[post("/conversations")]
pub async fn create_conversation(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<CreateConversationBody>,
) -> Result<HttpResponse, Problem> {
    let command = body.into_inner().into_command()?;
    let (view, created) = state
        .conversations
        .conversations
        .create(user.id(), command)
        .await?;
    let response = ConversationResponse::from(view);
    Ok(if created {
        HttpResponse::Created().json(response)
    } else {
        HttpResponse::Ok().json(response)
    })
}

/// One conversation of the caller's.
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ConversationResponse),
    (status = 404, description = "`conversation_not_found` (also when not a participant)")))]
#[get("/conversations/{id}")]
pub async fn get_conversation(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let view = state
        .conversations
        .conversations
        .get(user.id(), ConversationId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::Ok().json(ConversationResponse::from(view)))
}

/// Rename or describe a group or channel (owners and admins).
#[utoipa::path(patch, path = "/api/v1/conversations/{id}", tag = "conversations",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = UpdateConversationBody,
    responses((status = 200, body = ConversationResponse),
    (status = 403, description = "`admin_only`, `direct_chat_is_fixed` or `business_chat_is_routed`"),
    (status = 404, description = "`conversation_not_found`"),
    (status = 422, description = "Invalid fields")))]
#[patch("/conversations/{id}")]
pub async fn update_conversation(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<UpdateConversationBody>,
) -> Result<HttpResponse, Problem> {
    let changes = body.into_inner().into_changes()?;
    let view = state
        .conversations
        .conversations
        .update(user.id(), ConversationId::from_uuid(*id), changes)
        .await?;
    Ok(HttpResponse::Ok().json(ConversationResponse::from(view)))
}

/// Delete a group or channel with its history (owners).
#[utoipa::path(delete, path = "/api/v1/conversations/{id}", tag = "conversations",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"),
    (status = 403, description = "`owner_only`, `direct_chat_is_fixed` or `business_chat_is_routed`"),
    (status = 404, description = "`conversation_not_found`")))]
#[delete("/conversations/{id}")]
pub async fn delete_conversation(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    state
        .conversations
        .conversations
        .delete(user.id(), ConversationId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Participants with their roles and markers.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/participants", tag = "conversations",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ParticipantListResponse),
    (status = 404, description = "`conversation_not_found`")))]
#[get("/conversations/{id}/participants")]
pub async fn list_participants(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let participants = state
        .conversations
        .participants
        .list(user.id(), ConversationId::from_uuid(*id))
        .await?;
    let participants = participants
        .into_iter()
        .map(ParticipantResponse::from)
        .collect();
    Ok(HttpResponse::Ok().json(ParticipantListResponse { participants }))
}

/// Add members (owners and admins), up to the configured maximum group size.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/participants", tag = "conversations",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = AddParticipantsBody,
    responses((status = 200, body = AddedResponse),
    (status = 403, description = "`admin_only`, `direct_chat_is_fixed`, `business_chat_is_routed`, or `group_invite_not_allowed` (a user's group_invites setting refuses the caller; nobody is added)"),
    (status = 404, description = "`conversation_not_found`"),
    (status = 409, description = "`conversation_full`"),
    (status = 422, description = "Unknown users")))]
#[post("/conversations/{id}/participants")]
pub async fn add_participants(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<AddParticipantsBody>,
) -> Result<HttpResponse, Problem> {
    if body.user_ids.is_empty() || body.user_ids.len() > 1000 {
        return Err(AppError::invalid("user_ids", "must list 1 to 1000 users").into());
    }
    let users = body
        .into_inner()
        .user_ids
        .into_iter()
        .map(UserId::from_uuid)
        .collect();
    let added = state
        .conversations
        .participants
        .add(user.id(), ConversationId::from_uuid(*id), users)
        .await?;
    Ok(HttpResponse::Ok().json(AddedResponse {
        added: added.into_iter().map(|u| u.as_uuid()).collect(),
    }))
}

/// Remove a participant, or leave (the caller's own id). The last owner must hand over first.
#[utoipa::path(delete, path = "/api/v1/conversations/{id}/participants/{user_id}",
    tag = "conversations", security(("bearer" = [])), params(("id" = Uuid, Path),
    ("user_id" = Uuid, Path)),
    responses((status = 204, description = "Removed"),
    (status = 403, description = "`admin_only`, `owner_only`, `direct_chat_is_fixed` or `business_chat_is_routed`"),
    (status = 404, description = "`conversation_not_found` or `participant_not_found`"),
    (status = 409, description = "`last_owner`")))]
#[delete("/conversations/{id}/participants/{user_id}")]
pub async fn remove_participant(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (id, target) = path.into_inner();
    state
        .conversations
        .participants
        .remove(
            user.id(),
            ConversationId::from_uuid(id),
            UserId::from_uuid(target),
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change a participant's role (owners only).
#[utoipa::path(patch, path = "/api/v1/conversations/{id}/participants/{user_id}",
    tag = "conversations", security(("bearer" = [])), params(("id" = Uuid, Path),
    ("user_id" = Uuid, Path)), request_body = ChangeRoleBody,
    responses((status = 200, body = ParticipantResponse),
    (status = 403, description = "`owner_only`, `direct_chat_is_fixed` or `business_chat_is_routed`"),
    (status = 404, description = "`conversation_not_found` or `participant_not_found`"),
    (status = 409, description = "`last_owner`")))]
#[patch("/conversations/{id}/participants/{user_id}")]
pub async fn change_role(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<ChangeRoleBody>,
) -> Result<HttpResponse, Problem> {
    let (id, target) = path.into_inner();
    let participant = state
        .conversations
        .participants
        .set_role(
            user.id(),
            ConversationId::from_uuid(id),
            UserId::from_uuid(target),
            body.role.into(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(ParticipantResponse::from(participant)))
}

/// Mute the conversation for the caller.
#[utoipa::path(put, path = "/api/v1/conversations/{id}/mute", tag = "conversations",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Muted"),
    (status = 404, description = "`conversation_not_found`")))]
#[put("/conversations/{id}/mute")]
pub async fn mute(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    state
        .conversations
        .conversations
        .set_muted(user.id(), ConversationId::from_uuid(*id), true)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Unmute the conversation for the caller.
#[utoipa::path(delete, path = "/api/v1/conversations/{id}/mute", tag = "conversations",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Unmuted"),
    (status = 404, description = "`conversation_not_found`")))]
#[delete("/conversations/{id}/mute")]
pub async fn unmute(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    state
        .conversations
        .conversations
        .set_muted(user.id(), ConversationId::from_uuid(*id), false)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
