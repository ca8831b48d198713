//! `/api/v1/conversations/{id}/participants`: who is in a conversation, and their roles.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::extract::AuthUser;
use super::input::Json;
use super::problem::Problem;
use crate::application::error::AppError;
use crate::domain::conversations::{Participant, Role};
use crate::domain::shared::{ConversationId, UserId};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_participants)
        .service(add_participants)
        .service(remove_participant)
        .service(change_role);
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

impl AddParticipantsBody {
    fn users(self) -> Result<Vec<UserId>, AppError> {
        if self.user_ids.is_empty() || self.user_ids.len() > 1000 {
            return Err(AppError::invalid("user_ids", "must list 1 to 1000 users"));
        }
        Ok(self.user_ids.into_iter().map(UserId::from_uuid).collect())
    }
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
        .handle(user.id(), ConversationId::from_uuid(*id))
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
    let (id, users) = (ConversationId::from_uuid(*id), body.into_inner().users()?);
    let added = state
        .conversations
        .add_participants
        .handle(user.id(), id, users)
        .await?;
    let added = added.into_iter().map(|u| u.as_uuid()).collect();
    Ok(HttpResponse::Ok().json(AddedResponse { added }))
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
        .remove_participant
        .handle(
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
        .change_role
        .handle(
            user.id(),
            ConversationId::from_uuid(id),
            UserId::from_uuid(target),
            body.role.into(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(ParticipantResponse::from(participant)))
}
