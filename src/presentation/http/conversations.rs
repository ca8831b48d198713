//! `/api/v1/conversations`: create, read, change and delete a conversation; mute it.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::extract::AuthUser;
use super::input::Json;
use super::participants::RoleBody;
use super::problem::Problem;
use super::{AppState, created_or_ok};
use crate::application::conversations::{ConversationView, CreateConversation, UpdateConversation};
use crate::application::error::{AppError, FieldErrors};
use crate::domain::conversations::{ConversationKind, Description, Title};
use crate::domain::shared::{ConversationId, UserId};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_conversation)
        .service(get_conversation)
        .service(update_conversation)
        .service(delete_conversation)
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
        .create
        .handle(user.id(), command)
        .await?;
    Ok(created_or_ok(created, ConversationResponse::from(view)))
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
        .get
        .handle(user.id(), ConversationId::from_uuid(*id))
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
        .update
        .handle(user.id(), ConversationId::from_uuid(*id), changes)
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
        .delete
        .handle(user.id(), ConversationId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
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
    set_muted(&state, &user, *id, true).await
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
    set_muted(&state, &user, *id, false).await
}

async fn set_muted(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
    muted: bool,
) -> Result<HttpResponse, Problem> {
    let id = ConversationId::from_uuid(id);
    state
        .conversations
        .mute
        .handle(user.id(), id, muted)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
