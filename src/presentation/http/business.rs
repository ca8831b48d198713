//! `/api/v1/businesses`: profiles and search, staff and roles, teams, and agents' availability.

use actix_web::{HttpResponse, get, patch, post, put, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::extract::AuthUser;
use super::input::{Json, Query};
use super::problem::Problem;
use super::{AppState, check};
use crate::application::business::{Availability, NewBusiness, ProfileChange};
use crate::application::error::{AppError, FieldErrors};
use crate::domain::business::{
    AgentStatus, Business, BusinessError, BusinessId, Handle, Member, MemberRole, Team, TeamId,
    parse_name,
};
use crate::domain::shared::UserId;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create_business)
        .service(search_businesses)
        .service(get_business)
        .service(update_business)
        .service(list_staff)
        .service(put_staff)
        .service(list_teams)
        .service(create_team)
        .service(update_team)
        .service(set_availability);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessResponse {
    pub id: Uuid,
    pub handle: String,
    pub name: String,
    pub description: String,
    /// Whether customers see which agent answers them.
    pub show_agent_names: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<Business> for BusinessResponse {
    fn from(b: Business) -> Self {
        Self {
            id: b.id.as_uuid(),
            handle: b.handle.as_str().to_owned(),
            name: b.name,
            description: b.description,
            show_agent_names: b.show_agent_names,
            created_at: b.created_at,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StaffRole {
    /// Everything, including the profile and other managers.
    Owner,
    /// Sees every case; manages agents and teams.
    Supervisor,
    /// Takes cases.
    Agent,
}

impl From<MemberRole> for StaffRole {
    fn from(role: MemberRole) -> Self {
        match role {
            MemberRole::Owner => Self::Owner,
            MemberRole::Supervisor => Self::Supervisor,
            MemberRole::Agent => Self::Agent,
        }
    }
}

impl From<StaffRole> for MemberRole {
    fn from(role: StaffRole) -> Self {
        match role {
            StaffRole::Owner => Self::Owner,
            StaffRole::Supervisor => Self::Supervisor,
            StaffRole::Agent => Self::Agent,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StatusBody {
    Available,
    Away,
    Offline,
}

impl From<AgentStatus> for StatusBody {
    fn from(status: AgentStatus) -> Self {
        match status {
            AgentStatus::Available => Self::Available,
            AgentStatus::Away => Self::Away,
            AgentStatus::Offline => Self::Offline,
        }
    }
}

impl From<StatusBody> for AgentStatus {
    fn from(status: StatusBody) -> Self {
        match status {
            StatusBody::Available => Self::Available,
            StatusBody::Away => Self::Away,
            StatusBody::Offline => Self::Offline,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffResponse {
    pub user_id: Uuid,
    pub role: StaffRole,
    /// Only `available` members are assigned cases.
    pub status: StatusBody,
    /// Most cases open at once.
    pub capacity: u32,
}

impl From<Member> for StaffResponse {
    fn from(m: Member) -> Self {
        Self {
            user_id: m.user_id.as_uuid(),
            role: m.role.into(),
            status: m.status.into(),
            capacity: m.capacity,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamResponse {
    pub id: Uuid,
    pub name: String,
    /// Who takes this team's cases.
    pub agent_ids: Vec<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<Team> for TeamResponse {
    fn from(t: Team) -> Self {
        Self {
            id: t.id.as_uuid(),
            name: t.name,
            agent_ids: t.agents.iter().map(|a| a.as_uuid()).collect(),
            created_at: t.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"handle": "acme_support", "name": "Acme Support"}))]
#[serde(deny_unknown_fields)]
pub struct CreateBusinessBody {
    /// 3 to 32 characters: lowercase letters, digits and `_`, starting with a letter.
    #[schema(pattern = "^[a-z][a-z0-9_]{2,31}$")]
    pub handle: String,
    /// 1 to 100 characters on one line.
    #[schema(max_length = 100, pattern = r"\S")]
    pub name: String,
    #[schema(max_length = 1000)]
    pub description: Option<String>,
}

/// Creates a business owned by the caller, with one team, "General", that the caller works in.
#[utoipa::path(post, path = "/api/v1/businesses", tag = "business", security(("bearer" = [])), request_body = CreateBusinessBody,
    responses((status = 201, body = BusinessResponse),
        (status = 409, description = "`handle_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: see `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
#[post("/businesses")]
pub async fn create_business(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<CreateBusinessBody>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let mut errors = FieldErrors::default();
    let handle = errors.check("handle", Handle::parse(&body.handle));
    errors.check("name", parse_name(&body.name));
    let description = body.description.unwrap_or_default();
    if description.trim().chars().count() > 1000 {
        errors.add("description", BusinessError::DescriptionTooLong.to_string());
    }
    errors.into_result()?;
    let Some(handle) = handle else {
        return Err(AppError::invalid("handle", "is required").into());
    };
    let new = NewBusiness {
        handle,
        name: body.name,
        description,
    };
    let business = state.business.directory.create(user.0.user_id, new).await?;
    Ok(HttpResponse::Created().json(BusinessResponse::from(business)))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
pub struct SearchQuery {
    /// Part of a handle or name; empty lists every business by handle.
    #[validate(length(max = 100, message = "at most 100 characters"))]
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// 1 to 50, default 20.
    #[validate(range(min = 1, max = 50, message = "must be between 1 and 50"))]
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessList {
    pub businesses: Vec<BusinessResponse>,
}

/// Businesses whose handle or name contains `q`, by handle: any user may look.
#[utoipa::path(get, path = "/api/v1/businesses", tag = "business", security(("bearer" = [])), params(SearchQuery),
    responses((status = 200, body = BusinessList)))]
#[get("/businesses")]
pub async fn search_businesses(
    state: web::Data<AppState>,
    _user: AuthUser,
    query: Query<SearchQuery>,
) -> Result<HttpResponse, Problem> {
    let mut errors = FieldErrors::default();
    check(&*query, &mut errors);
    errors.into_result()?;
    let found = state
        .business
        .directory
        .search(
            query.q.as_deref().unwrap_or_default(),
            query.limit.unwrap_or(20),
        )
        .await?;
    Ok(HttpResponse::Ok().json(BusinessList {
        businesses: found.into_iter().map(BusinessResponse::from).collect(),
    }))
}

/// A business's public profile.
#[utoipa::path(get, path = "/api/v1/businesses/{id}", tag = "business", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = BusinessResponse),
        (status = 404, description = "`business_not_found`", body = Problem, content_type = "application/problem+json")))]
#[get("/businesses/{id}")]
pub async fn get_business(
    state: web::Data<AppState>,
    _user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let business = state
        .business
        .directory
        .profile(BusinessId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::Ok().json(BusinessResponse::from(business)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBusinessBody {
    /// 1 to 100 characters on one line.
    #[schema(max_length = 100, pattern = r"\S")]
    pub name: Option<String>,
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    pub show_agent_names: Option<bool>,
}

/// Changes the profile (owners).
#[utoipa::path(patch, path = "/api/v1/businesses/{id}", tag = "business", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = UpdateBusinessBody,
    responses((status = 200, body = BusinessResponse),
        (status = 403, description = "`owner_only`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`business_not_found` (also when not on its staff)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
#[patch("/businesses/{id}")]
pub async fn update_business(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<UpdateBusinessBody>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let change = ProfileChange {
        name: body.name,
        description: body.description,
        show_agent_names: body.show_agent_names,
    };
    let business = state
        .business
        .directory
        .update(user.0.user_id, BusinessId::from_uuid(*id), change)
        .await?;
    Ok(HttpResponse::Ok().json(BusinessResponse::from(business)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffList {
    pub members: Vec<StaffResponse>,
}

/// The staff, with each member's role, status and capacity (for the staff).
#[utoipa::path(get, path = "/api/v1/businesses/{id}/members", tag = "business", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = StaffList),
        (status = 404, description = "`business_not_found` (also when not on its staff)", body = Problem, content_type = "application/problem+json")))]
#[get("/businesses/{id}/members")]
pub async fn list_staff(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let members = state
        .business
        .directory
        .members(user.0.user_id, BusinessId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::Ok().json(StaffList {
        members: members.into_iter().map(StaffResponse::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffBody {
    pub role: StaffRole,
}

/// Adds a user to the staff, or changes their role. Supervisors manage agents; owners anyone.
#[utoipa::path(put, path = "/api/v1/businesses/{id}/members/{user_id}", tag = "business", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)), request_body = StaffBody,
    responses((status = 200, body = StaffResponse),
        (status = 403, description = "`supervisor_only` or `owner_only`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`business_not_found` (also when not on its staff)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`last_owner`: the only owner cannot step down", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`user_id` is not a user, or invalid fields", body = Problem, content_type = "application/problem+json")))]
#[put("/businesses/{id}/members/{user_id}")]
pub async fn put_staff(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<StaffBody>,
) -> Result<HttpResponse, Problem> {
    let (id, member) = path.into_inner();
    let member = state
        .business
        .directory
        .put_member(
            user.0.user_id,
            BusinessId::from_uuid(id),
            UserId::from_uuid(member),
            body.role.into(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(StaffResponse::from(member)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamList {
    pub teams: Vec<TeamResponse>,
}

/// The business's teams, oldest first: the first takes cases that name none.
#[utoipa::path(get, path = "/api/v1/businesses/{id}/teams", tag = "business", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = TeamList),
        (status = 404, description = "`business_not_found` (also when not on its staff)", body = Problem, content_type = "application/problem+json")))]
#[get("/businesses/{id}/teams")]
pub async fn list_teams(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let teams = state
        .business
        .directory
        .teams(user.0.user_id, BusinessId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::Ok().json(TeamList {
        teams: teams.into_iter().map(TeamResponse::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Billing", "agent_ids": []}))]
#[serde(deny_unknown_fields)]
pub struct TeamBody {
    /// 1 to 100 characters on one line.
    #[schema(max_length = 100, pattern = r"\S")]
    pub name: String,
    /// Members of the staff.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub agent_ids: Vec<Uuid>,
}

/// Creates a team (supervisors).
#[utoipa::path(post, path = "/api/v1/businesses/{id}/teams", tag = "business", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = TeamBody,
    responses((status = 201, body = TeamResponse),
        (status = 403, description = "`supervisor_only`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`business_not_found` (also when not on its staff)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`team_name_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or an agent not on the staff", body = Problem, content_type = "application/problem+json")))]
#[post("/businesses/{id}/teams")]
pub async fn create_team(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<TeamBody>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let agents = body.agent_ids.into_iter().map(UserId::from_uuid).collect();
    let team = state
        .business
        .directory
        .put_team(
            user.0.user_id,
            BusinessId::from_uuid(*id),
            None,
            &body.name,
            agents,
        )
        .await?;
    Ok(HttpResponse::Created().json(TeamResponse::from(team)))
}

/// Renames a team and sets exactly its agents (supervisors).
#[utoipa::path(put, path = "/api/v1/businesses/{id}/teams/{team_id}", tag = "business", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("team_id" = Uuid, Path)), request_body = TeamBody,
    responses((status = 200, body = TeamResponse),
        (status = 403, description = "`supervisor_only`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`business_not_found` (also when not on its staff) or `team_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`team_name_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or an agent not on the staff", body = Problem, content_type = "application/problem+json")))]
#[put("/businesses/{id}/teams/{team_id}")]
pub async fn update_team(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<TeamBody>,
) -> Result<HttpResponse, Problem> {
    let (id, team) = path.into_inner();
    let body = body.into_inner();
    let agents = body.agent_ids.into_iter().map(UserId::from_uuid).collect();
    let team = state
        .business
        .directory
        .put_team(
            user.0.user_id,
            BusinessId::from_uuid(id),
            Some(TeamId::from_uuid(team)),
            &body.name,
            agents,
        )
        .await?;
    Ok(HttpResponse::Ok().json(TeamResponse::from(team)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"status": "available", "capacity": 3}))]
#[serde(deny_unknown_fields)]
pub struct AvailabilityBody {
    pub status: Option<StatusBody>,
    /// Most cases open at once: 1 to 50.
    #[schema(minimum = 1, maximum = 50)]
    pub capacity: Option<u32>,
}

/// Sets the caller's own status and capacity. Becoming available or raising the capacity
/// assigns queued cases at once.
#[utoipa::path(put, path = "/api/v1/businesses/{id}/agents/me", tag = "business", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = AvailabilityBody,
    responses((status = 200, body = StaffResponse),
        (status = 404, description = "`business_not_found` (also when not on its staff)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
#[put("/businesses/{id}/agents/me")]
pub async fn set_availability(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<AvailabilityBody>,
) -> Result<HttpResponse, Problem> {
    let change = Availability {
        status: body.status.map(AgentStatus::from),
        capacity: body.capacity,
    };
    let member = state
        .business
        .agents
        .set(user.0.user_id, BusinessId::from_uuid(*id), change)
        .await?;
    Ok(HttpResponse::Ok().json(StaffResponse::from(member)))
}
