//! `/api/v1/contacts` and blocks: who may reach whom.

use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::extract::AuthUser;
use super::input::Json;
use super::problem::Problem;
use crate::application::users::ContactView;
use crate::domain::shared::UserId;
use crate::domain::users::ContactStatus;

use super::users::ProfileResponse;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_blocks)
        .service(block_user)
        .service(unblock_user)
        .service(list_contacts)
        .service(request_contact)
        .service(accept_contact)
        .service(remove_contact);
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContactStatusBody {
    Accepted,
    Incoming,
    Outgoing,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactResponse {
    pub user: ProfileResponse,
    pub status: ContactStatusBody,
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
}

impl From<ContactView> for ContactResponse {
    fn from(view: ContactView) -> Self {
        let status = match view.status {
            ContactStatus::Accepted => ContactStatusBody::Accepted,
            ContactStatus::Incoming => ContactStatusBody::Incoming,
            ContactStatus::Outgoing => ContactStatusBody::Outgoing,
        };
        Self {
            user: view.profile.into(),
            status,
            since: view.since,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactListResponse {
    /// Accepted contacts.
    pub contacts: Vec<ContactResponse>,
    /// Requests others sent me.
    pub incoming: Vec<ContactResponse>,
    /// Requests I sent.
    pub outgoing: Vec<ContactResponse>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequestBody {
    pub user_id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockResponse {
    pub user: ProfileResponse,
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockListResponse {
    pub blocks: Vec<BlockResponse>,
}

/// Block a user: ends any contact relation; they can no longer find me, see my presence, start
/// a direct chat with me or message me directly.
#[utoipa::path(put, path = "/api/v1/users/{id}/block", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "Blocked (also when already blocked)"),
    (status = 404, description = "`user_not_found`"),
    (status = 422, description = "Blocking oneself")))]
#[put("/users/{id}/block")]
pub async fn block_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    state
        .users
        .block
        .handle(user.id(), UserId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Unblock a user.
#[utoipa::path(delete, path = "/api/v1/users/{id}/block", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "Unblocked"),
    (status = 404, description = "`block_not_found`")))]
#[delete("/users/{id}/block")]
pub async fn unblock_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    state
        .users
        .unblock
        .handle(user.id(), UserId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Users the caller blocked, newest first.
#[utoipa::path(get, path = "/api/v1/users/me/blocks", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = BlockListResponse),))]
#[get("/users/me/blocks")]
pub async fn list_blocks(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, Problem> {
    let blocks = state.users.blocked.handle(user.id()).await?;
    let blocks = blocks
        .into_iter()
        .map(|(profile, since)| BlockResponse {
            user: profile.into(),
            since,
        })
        .collect();
    Ok(HttpResponse::Ok().json(BlockListResponse { blocks }))
}

/// Contacts and pending requests both ways.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", security(("bearer" = [])),
    responses((status = 200, body = ContactListResponse),))]
#[get("/contacts")]
pub async fn list_contacts(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, Problem> {
    let list = state.users.contacts.handle(user.id()).await?;
    let map = |views: Vec<ContactView>| views.into_iter().map(ContactResponse::from).collect();
    Ok(HttpResponse::Ok().json(ContactListResponse {
        contacts: map(list.contacts),
        incoming: map(list.incoming),
        outgoing: map(list.outgoing),
    }))
}

/// Ask someone to become a contact. If they already asked the caller, this accepts.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", security(("bearer" = [])),
    request_body = ContactRequestBody,
    responses((status = 200, description = "The relation now: `outgoing`, or `accepted`", body = ContactResponse),
    (status = 404, description = "`user_not_found`"),
    (status = 409, description = "`user_blocked`: unblock them first"),
    (status = 422, description = "Oneself")))]
#[post("/contacts")]
pub async fn request_contact(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<ContactRequestBody>,
) -> Result<HttpResponse, Problem> {
    let view = state
        .users
        .request_contact
        .handle(user.id(), UserId::from_uuid(body.user_id))
        .await?;
    Ok(HttpResponse::Ok().json(ContactResponse::from(view)))
}

/// Accept a contact request.
#[utoipa::path(post, path = "/api/v1/contacts/{user_id}/accept", tag = "contacts",
    security(("bearer" = [])), params(("user_id" = Uuid, Path)),
    responses((status = 200, body = ContactResponse),
    (status = 404, description = "`contact_request_not_found`")))]
#[post("/contacts/{user_id}/accept")]
pub async fn accept_contact(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let view = state
        .users
        .accept_contact
        .handle(user.id(), UserId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::Ok().json(ContactResponse::from(view)))
}

/// Remove a contact, decline a request or withdraw one.
#[utoipa::path(delete, path = "/api/v1/contacts/{user_id}", tag = "contacts",
    security(("bearer" = [])), params(("user_id" = Uuid, Path)),
    responses((status = 204, description = "Removed"),
    (status = 404, description = "`contact_not_found`")))]
#[delete("/contacts/{user_id}")]
pub async fn remove_contact(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    state
        .users
        .remove_contact
        .handle(user.id(), UserId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
