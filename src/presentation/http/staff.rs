//! `/api/v1/businesses/{id}/…`: the staff and their roles, teams, and agents' availability.

use actix_web::{HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::extract::AuthUser;
use super::input::Json;
use super::problem::Problem;
use crate::application::business::{Availability, TeamChange};
use crate::domain::business::{AgentStatus, BusinessId, Member, MemberRole, Routing, Team, TeamId};
use crate::domain::shared::UserId;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_staff)
        .service(put_staff)
        .service(list_teams)
        .service(create_team)
        .service(update_team)
        .service(set_availability);
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
    pub routing: RoutingBody,
    /// A case with no reply from an agent this long after it was queued is escalated.
    pub first_response_secs: Option<u32>,
    /// Where escalated cases move; `null` keeps them in the team.
    pub escalate_to: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// How the team picks the agent for its next case.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoutingBody {
    /// The least busy agent with room, ties to the one idle longest.
    #[default]
    LeastBusy,
    /// The agent with room assigned longest ago, however busy: turns.
    RoundRobin,
}

impl From<RoutingBody> for Routing {
    fn from(routing: RoutingBody) -> Self {
        match routing {
            RoutingBody::LeastBusy => Self::LeastBusy,
            RoutingBody::RoundRobin => Self::RoundRobin,
        }
    }
}

impl From<Team> for TeamResponse {
    fn from(t: Team) -> Self {
        Self {
            id: t.id.as_uuid(),
            name: t.name,
            agent_ids: t.agents.iter().map(|a| a.as_uuid()).collect(),
            routing: match t.routing {
                Routing::LeastBusy => RoutingBody::LeastBusy,
                Routing::RoundRobin => RoutingBody::RoundRobin,
            },
            first_response_secs: t.first_response_secs,
            escalate_to: t.escalate_to.map(|t| t.as_uuid()),
            created_at: t.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffList {
    pub members: Vec<StaffResponse>,
}

/// The staff, with each member's role, status and capacity (for the staff).
#[utoipa::path(get, path = "/api/v1/businesses/{id}/members", tag = "business",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = StaffList),
    (status = 404, description = "`business_not_found` (also when not on its staff)")))]
#[get("/businesses/{id}/members")]
pub async fn list_staff(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let members = state
        .business
        .staff
        .handle(user.id(), BusinessId::from_uuid(*id))
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
#[utoipa::path(put, path = "/api/v1/businesses/{id}/members/{user_id}", tag = "business",
    security(("bearer" = [])), params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    request_body = StaffBody,
    responses((status = 200, body = StaffResponse),
    (status = 403, description = "`supervisor_only` or `owner_only`"),
    (status = 404, description = "`business_not_found` (also when not on its staff)"),
    (status = 409, description = "`last_owner`: the only owner cannot step down"),
    (status = 422, description = "`user_id` is not a user, or invalid fields")))]
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
        .put_member
        .handle(
            user.id(),
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
#[utoipa::path(get, path = "/api/v1/businesses/{id}/teams", tag = "business",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = TeamList),
    (status = 404, description = "`business_not_found` (also when not on its staff)")))]
#[get("/businesses/{id}/teams")]
pub async fn list_teams(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let teams = state
        .business
        .teams
        .handle(user.id(), BusinessId::from_uuid(*id))
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
    /// Default `least_busy`.
    #[serde(default)]
    pub routing: RoutingBody,
    /// 60 to 604800: past it with no agent reply, a case is escalated (higher priority, the
    /// supervisors told). Absent: never.
    #[schema(minimum = 60, maximum = 604800)]
    pub first_response_secs: Option<u32>,
    /// Another team of the business, where escalated cases move.
    pub escalate_to: Option<Uuid>,
}

impl TeamBody {
    fn into_change(self) -> TeamChange {
        TeamChange {
            name: self.name,
            agents: self.agent_ids.into_iter().map(UserId::from_uuid).collect(),
            routing: self.routing.into(),
            first_response_secs: self.first_response_secs,
            escalate_to: self.escalate_to.map(TeamId::from_uuid),
        }
    }
}

/// Creates a team (supervisors).
#[utoipa::path(post, path = "/api/v1/businesses/{id}/teams", tag = "business",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = TeamBody,
    responses((status = 201, body = TeamResponse),
    (status = 403, description = "`supervisor_only`"),
    (status = 404, description = "`business_not_found` (also when not on its staff)"),
    (status = 409, description = "`team_name_taken`"),
    (status = 422, description = "Invalid fields, or an agent not on the staff")))]
#[post("/businesses/{id}/teams")]
pub async fn create_team(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<TeamBody>,
) -> Result<HttpResponse, Problem> {
    let team = state
        .business
        .put_team
        .handle(
            user.id(),
            BusinessId::from_uuid(*id),
            None,
            body.into_inner().into_change(),
        )
        .await?;
    Ok(HttpResponse::Created().json(TeamResponse::from(team)))
}

/// Sets a team whole: name, agents, routing and escalation (supervisors).
#[utoipa::path(put, path = "/api/v1/businesses/{id}/teams/{team_id}", tag = "business",
    security(("bearer" = [])), params(("id" = Uuid, Path), ("team_id" = Uuid, Path)),
    request_body = TeamBody,
    responses((status = 200, body = TeamResponse),
    (status = 403, description = "`supervisor_only`"),
    (status = 404, description = "`business_not_found` (also when not on its staff) or `team_not_found`"),
    (status = 409, description = "`team_name_taken`"),
    (status = 422, description = "Invalid fields, or an agent not on the staff")))]
#[put("/businesses/{id}/teams/{team_id}")]
pub async fn update_team(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<TeamBody>,
) -> Result<HttpResponse, Problem> {
    let (id, team) = path.into_inner();
    let team = state
        .business
        .put_team
        .handle(
            user.id(),
            BusinessId::from_uuid(id),
            Some(TeamId::from_uuid(team)),
            body.into_inner().into_change(),
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
#[utoipa::path(put, path = "/api/v1/businesses/{id}/agents/me", tag = "business",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = AvailabilityBody,
    responses((status = 200, body = StaffResponse),
    (status = 404, description = "`business_not_found` (also when not on its staff)"),
    (status = 422, description = "Invalid fields")))]
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
        .set_availability
        .handle(user.id(), BusinessId::from_uuid(*id), change)
        .await?;
    Ok(HttpResponse::Ok().json(StaffResponse::from(member)))
}
