//! `/api/v1/conversations/{id}/messages/{message_id}/reactions/{emoji}`: add and remove one.

use actix_web::{HttpResponse, delete, put, web};
use uuid::Uuid;

use super::AppState;
use super::extract::AuthUser;
use super::problem::Problem;
use crate::application::error::AppError;
use crate::application::messages::React;
use crate::domain::messages::Emoji;
use crate::domain::shared::{ConversationId, MessageId};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(add_reaction).service(remove_reaction);
}

/// The reaction a path names: `{id}/messages/{message_id}/reactions/{emoji}`.
fn reaction(path: web::Path<(Uuid, Uuid, String)>) -> Result<React, AppError> {
    let (id, message_id, raw) = path.into_inner();
    Ok(React {
        conversation_id: ConversationId::from_uuid(id),
        message_id: MessageId::from_uuid(message_id),
        emoji: Emoji::parse(&raw)?,
    })
}

/// React with an emoji (once per user and emoji; repeating is harmless).
#[utoipa::path(put, path = "/api/v1/conversations/{id}/messages/{message_id}/reactions/{emoji}",
    tag = "messages", security(("bearer" = [])), params(("id" = Uuid, Path),
    ("message_id" = Uuid, Path),
    ("emoji" = String, Path, description = "One URL-encoded emoji of the Unicode emoji list (skin tones, ZWJ sequences and flags included); kept in its fully-qualified form")),
    responses((status = 204, description = "Reacted"),
    (status = 404, description = "`conversation_not_found` or `message_not_found`"),
    (status = 409, description = "`message_deleted`, or `too_many_reactions`: the message has 20 distinct emoji already"),
    (status = 429, description = "`rate_limited`: over the user's reaction limit; see `Retry-After`"),
    (status = 503, description = "`rate_limiter_unavailable`: the limit cannot be counted (`when_redis_down = refuse`)"),
    (status = 422, description = "Not an emoji")))]
#[put("/conversations/{id}/messages/{message_id}/reactions/{emoji}")]
pub async fn add_reaction(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(Uuid, Uuid, String)>,
) -> Result<HttpResponse, Problem> {
    let command = reaction(path)?;
    state
        .messages
        .add_reaction
        .handle(user.id(), command)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Take a reaction back.
#[utoipa::path(delete, path = "/api/v1/conversations/{id}/messages/{message_id}/reactions/{emoji}",
    tag = "messages", security(("bearer" = [])), params(("id" = Uuid, Path),
    ("message_id" = Uuid, Path),
    ("emoji" = String, Path, description = "One URL-encoded emoji of the Unicode emoji list (skin tones, ZWJ sequences and flags included); kept in its fully-qualified form")),
    responses((status = 204, description = "Removed"),
    (status = 404, description = "`conversation_not_found`, `message_not_found` or `reaction_not_found`"),
    (status = 422, description = "Not an emoji")))]
#[delete("/conversations/{id}/messages/{message_id}/reactions/{emoji}")]
pub async fn remove_reaction(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(Uuid, Uuid, String)>,
) -> Result<HttpResponse, Problem> {
    let command = reaction(path)?;
    state
        .messages
        .remove_reaction
        .handle(user.id(), command)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
