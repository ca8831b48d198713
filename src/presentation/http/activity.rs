//! `GET /auth/activity`: the caller's own account activity.

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::extract::AuthUser;
use super::input::Query;
use super::problem::Problem;
use super::{AppState, validated};
use crate::domain::auth::Activity;

#[derive(Debug, Deserialize, Validate, IntoParams)]
pub struct ActivityQuery {
    /// 1 to 100, default 50.
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityResponse {
    /// `login`, `login_failed` (a wrong password for this account), `logout`,
    /// `password_changed`, `password_reset`, `session_revoked`, `other_sessions_revoked`.
    pub kind: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The client's address, as the server saw it.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub device_name: Option<String>,
    /// The session it opened, used or ended, if one.
    pub session_id: Option<Uuid>,
}

impl From<&Activity> for ActivityResponse {
    fn from(a: &Activity) -> Self {
        Self {
            kind: a.kind.as_str(),
            at: a.at,
            ip: a.device.ip.clone(),
            user_agent: a.device.user_agent.clone(),
            device_name: a.device.name.clone(),
            session_id: a.session_id.map(|s| s.as_uuid()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityListResponse {
    /// Newest first.
    pub activity: Vec<ActivityResponse>,
    /// Pass as `cursor` for older activity; `null` at the end.
    pub next_cursor: Option<Uuid>,
}

/// The caller's account activity (sign-ins, failed sign-ins, password changes and resets,
/// sessions ended), newest first.
#[utoipa::path(get, path = "/api/v1/auth/activity", tag = "auth", security(("bearer" = [])),
    params(ActivityQuery),
    responses((status = 200, body = ActivityListResponse),
    (status = 400, description = "A parameter of the wrong type"),
    (status = 422, description = "Bad limit")))]
#[get("/auth/activity")]
pub async fn list_activity(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<ActivityQuery>,
) -> Result<HttpResponse, Problem> {
    validated(&*query)?;
    let page = state
        .auth
        .activity
        .handle(user.0, query.cursor, query.limit.unwrap_or(50))
        .await?;
    Ok(HttpResponse::Ok().json(ActivityListResponse {
        activity: page.items.iter().map(ActivityResponse::from).collect(),
        next_cursor: page.next,
    }))
}
