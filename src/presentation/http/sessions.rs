//! `/api/v1/auth/sessions…`: the caller's signed-in devices, and signing them out.

use actix_web::{HttpResponse, delete, get, post, web};
use async_graphql::SimpleObject;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::AppState;
use super::auth::only_validator;
use super::extract::{AuthUser, ClientMeta};
use super::input::Json;
use super::problem::Problem;
use crate::application::auth::queries::SessionView;
use crate::domain::shared::SessionId;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_sessions)
        .service(super::activity::list_activity)
        .service(revoke_other_sessions)
        .service(revoke_session);
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    #[validate(length(min = 1, max = 1024, message = "must be 1 to 1024 characters long"))]
    #[schema(min_length = 1, max_length = 1024)]
    pub password: String,
}

/// A signed-in device.
#[derive(Debug, Serialize, ToSchema, SimpleObject)]
#[graphql(name = "Session")]
pub struct SessionResponse {
    pub id: Uuid,
    pub device_name: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_active_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The session of the token making this request.
    pub current: bool,
}

impl From<SessionView> for SessionResponse {
    fn from(view: SessionView) -> Self {
        let s = view.session;
        Self {
            id: s.id.as_uuid(),
            device_name: s.device.name,
            user_agent: s.device.user_agent,
            ip: s.device.ip,
            created_at: s.created_at,
            last_active_at: s.last_active_at,
            expires_at: s.expires_at,
            current: view.current,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionListResponse {
    pub sessions: Vec<SessionResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedResponse {
    /// How many sessions were signed out.
    pub revoked: u64,
}

/// List the caller's live sessions (devices), newest first.
#[utoipa::path( get, path = "/api/v1/auth/sessions", tag = "auth", security(("bearer" = [])),
    responses( (status = 200, description = "Live sessions", body = SessionListResponse),))]
#[get("/auth/sessions")]
pub async fn list_sessions(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, Problem> {
    let sessions = state.auth.sessions.handle(user.0).await?;
    let sessions = sessions.into_iter().map(SessionResponse::from).collect();
    Ok(HttpResponse::Ok().json(SessionListResponse { sessions }))
}

/// Sign out one of the caller's devices.
#[utoipa::path( delete, path = "/api/v1/auth/sessions/{id}", tag = "auth",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "Session id")),
    responses( (status = 204, description = "Revoked"), (status = 400, description = "Not a UUID"),
    (status = 404, description = "`session_not_found`: none of the caller's live sessions"),))]
#[delete("/auth/sessions/{id}")]
pub async fn revoke_session(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    state
        .auth
        .revoke_session
        .handle(
            user.0,
            SessionId::from_uuid(id.into_inner()),
            meta.into_client(None),
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sign out every other device; needs the password.
#[utoipa::path( post, path = "/api/v1/auth/sessions/revoke-others", tag = "auth",
    security(("bearer" = [])), request_body = PasswordBody,
    responses( (status = 200, description = "Other sessions revoked", body = RevokedResponse),
    (status = 403, description = "`invalid_password`"),
    (status = 422, description = "Invalid fields"),
    (status = 429, description = "Too many attempts"),))]
#[post("/auth/sessions/revoke-others")]
pub async fn revoke_other_sessions(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    body: Json<PasswordBody>,
) -> Result<HttpResponse, Problem> {
    only_validator(&*body)?;
    let revoked = state
        .auth
        .revoke_other_sessions
        .handle(user.0, body.into_inner().password, meta.into_client(None))
        .await?;
    Ok(HttpResponse::Ok().json(RevokedResponse { revoked }))
}
