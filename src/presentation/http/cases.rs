//! Business cases over REST: a customer opens theirs; the staff see the queue and their inbox,
//! transfer and resolve. A case is reached by its conversation: `/conversations/{id}/case`.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::extract::AuthUser;
use super::input::{Json, Query};
use super::problem::Problem;
use super::{AppState, created_or_ok, validated};
use crate::application::business::{CaseView, Transfer};
use crate::application::error::AppError;
use crate::domain::business::{BusinessId, CaseState, Figures, TeamId};
use crate::domain::shared::{ConversationId, UserId};
use crate::presentation::http::messages::{HistoryQuery, HistoryResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(open_case)
        .service(queue)
        .service(inbox)
        .service(figures)
        .service(get_case)
        .service(case_history)
        .service(resolve_case)
        .service(transfer_case);
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CaseStateBody {
    /// Waiting in its team's queue.
    Queued,
    /// An agent has it.
    Assigned,
    /// Done; the customer opening it again reopens it.
    Resolved,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseResponse {
    /// The conversation the customer and the agent write in (kind `business`).
    pub conversation_id: Uuid,
    pub business_id: Uuid,
    pub team_id: Uuid,
    pub customer_id: Uuid,
    pub agent_id: Option<Uuid>,
    pub state: CaseStateBody,
    /// Higher is served first.
    pub priority: i32,
    /// Its place in its team's queue, from 1, while queued; `null` otherwise.
    pub position: Option<u64>,
    #[serde(with = "time::serde::rfc3339")]
    pub queued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub assigned_at: Option<OffsetDateTime>,
    /// The agent's first message since the case was (last) queued.
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_response_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub resolved_at: Option<OffsetDateTime>,
    /// When it waited past its team's first-response time (and its priority was raised).
    #[serde(with = "time::serde::rfc3339::option")]
    pub escalated_at: Option<OffsetDateTime>,
}

impl From<CaseView> for CaseResponse {
    fn from(view: CaseView) -> Self {
        let c = view.case;
        Self {
            conversation_id: c.conversation_id.as_uuid(),
            business_id: c.business_id.as_uuid(),
            team_id: c.team_id.as_uuid(),
            customer_id: c.customer_id.as_uuid(),
            agent_id: c.agent_id.map(|a| a.as_uuid()),
            state: match c.state {
                CaseState::Queued => CaseStateBody::Queued,
                CaseState::Assigned => CaseStateBody::Assigned,
                CaseState::Resolved => CaseStateBody::Resolved,
            },
            priority: c.priority,
            position: view.position,
            queued_at: c.queued_at,
            assigned_at: c.assigned_at,
            first_response_at: c.first_response_at,
            resolved_at: c.resolved_at,
            escalated_at: c.escalated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseList {
    pub cases: Vec<CaseResponse>,
}

fn list(views: Vec<CaseView>) -> HttpResponse {
    HttpResponse::Ok().json(CaseList {
        cases: views.into_iter().map(CaseResponse::from).collect(),
    })
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCaseBody {
    /// The team to ask; the business's first team when absent.
    pub team_id: Option<Uuid>,
}

/// Opens the caller's conversation with a business, assigned at once to an available agent
/// with room, or queued. The caller's existing case is returned (200), reopened and queued
/// again if it was resolved.
#[utoipa::path(post, path = "/api/v1/businesses/{id}/cases", tag = "business",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = OpenCaseBody,
    responses((status = 201, description = "Opened", body = CaseResponse),
    (status = 200, description = "The caller's case, reopened if it was resolved", body = CaseResponse),
    (status = 403, description = "`staff_cannot_be_customer`"),
    (status = 404, description = "`business_not_found` or `team_not_found`"),
    (status = 409, description = "`case_changed`: changed by another request meanwhile; retry"),
    (status = 429, description = "`rate_limited`: see `Retry-After`")))]
#[post("/businesses/{id}/cases")]
pub async fn open_case(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<OpenCaseBody>,
) -> Result<HttpResponse, Problem> {
    let team = body.team_id.map(TeamId::from_uuid);
    let (view, created) = state
        .business
        .start_case
        .handle(user.id(), BusinessId::from_uuid(*id), team)
        .await?;
    Ok(created_or_ok(created, CaseResponse::from(view)))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
pub struct QueueQuery {
    /// One team's queue; every team's when absent.
    pub team_id: Option<Uuid>,
    /// 1 to 200, default 100.
    #[validate(range(min = 1, max = 200, message = "must be between 1 and 200"))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// Queued cases in routing order (priority, then first in), each with its position in its
/// team's queue: for the staff.
#[utoipa::path(get, path = "/api/v1/businesses/{id}/queue", tag = "business",
    security(("bearer" = [])), params(("id" = Uuid, Path), QueueQuery),
    responses((status = 200, body = CaseList),
    (status = 404, description = "`business_not_found` (also when not on its staff)")))]
#[get("/businesses/{id}/queue")]
pub async fn queue(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: Query<QueueQuery>,
) -> Result<HttpResponse, Problem> {
    validated(&*query)?;
    let views = state
        .business
        .queue
        .handle(
            user.id(),
            BusinessId::from_uuid(*id),
            query.team_id.map(TeamId::from_uuid),
            query.limit.unwrap_or(100),
        )
        .await?;
    Ok(list(views))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
pub struct InboxQuery {
    /// Another agent's inbox (supervisors); the caller's when absent.
    pub agent_id: Option<Uuid>,
    /// 1 to 200, default 100.
    #[validate(range(min = 1, max = 200, message = "must be between 1 and 200"))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// The open cases assigned to an agent.
#[utoipa::path(get, path = "/api/v1/businesses/{id}/inbox", tag = "business",
    security(("bearer" = [])), params(("id" = Uuid, Path), InboxQuery),
    responses((status = 200, body = CaseList),
    (status = 403, description = "`supervisor_only`: another agent's inbox"),
    (status = 404, description = "`business_not_found` (also when not on its staff)")))]
#[get("/businesses/{id}/inbox")]
pub async fn inbox(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: Query<InboxQuery>,
) -> Result<HttpResponse, Problem> {
    validated(&*query)?;
    let views = state
        .business
        .inbox
        .handle(
            user.id(),
            BusinessId::from_uuid(*id),
            query.agent_id.map(UserId::from_uuid),
            query.limit.unwrap_or(100),
        )
        .await?;
    Ok(list(views))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
pub struct FiguresQuery {
    /// The period: the last 1 to 90 days, default 7.
    #[validate(range(min = 1, max = 90, message = "must be between 1 and 90"))]
    #[param(minimum = 1, maximum = 90)]
    pub days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresResponse {
    pub days: u32,
    /// Cases in a queue now.
    pub waiting_now: u64,
    /// Cases an agent holds now.
    pub assigned_now: u64,
    /// Cases queued in the period (a reopened case counts once, by its latest opening).
    pub opened: u64,
    /// Of those, resolved.
    pub resolved: u64,
    /// Median seconds from queued to assigned; `null` without one.
    pub median_wait_secs: Option<f64>,
    /// Median seconds from assigned to the agent's first message.
    pub median_first_response_secs: Option<f64>,
    /// Median seconds from queued to resolved.
    pub median_resolution_secs: Option<f64>,
}

impl FiguresResponse {
    fn new(days: u32, found: Figures) -> Self {
        let secs = |d: Option<time::Duration>| d.map(|d| d.as_seconds_f64());
        Self {
            days,
            waiting_now: found.waiting_now,
            assigned_now: found.assigned_now,
            opened: found.opened,
            resolved: found.resolved,
            median_wait_secs: secs(found.median_wait),
            median_first_response_secs: secs(found.median_first_response),
            median_resolution_secs: secs(found.median_resolution),
        }
    }
}

/// The business's figures now and over the last `days` days (supervisors).
#[utoipa::path(get, path = "/api/v1/businesses/{id}/figures", tag = "business",
    security(("bearer" = [])), params(("id" = Uuid, Path), FiguresQuery),
    responses((status = 200, body = FiguresResponse),
    (status = 403, description = "`supervisor_only`"),
    (status = 404, description = "`business_not_found` (also when not on its staff)")))]
#[get("/businesses/{id}/figures")]
pub async fn figures(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: Query<FiguresQuery>,
) -> Result<HttpResponse, Problem> {
    validated(&*query)?;
    let (business, days) = (BusinessId::from_uuid(*id), query.days.unwrap_or(7));
    let found = state
        .business
        .figures
        .handle(user.id(), business, days)
        .await?;
    Ok(HttpResponse::Ok().json(FiguresResponse::new(days, found)))
}

/// The case of a business conversation: for its customer, its agent and the supervisors.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/case", tag = "business",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = CaseResponse),
    (status = 404, description = "`case_not_found`")))]
#[get("/conversations/{id}/case")]
pub async fn get_case(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let view = state
        .business
        .case
        .handle(user.id(), ConversationId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::Ok().json(CaseResponse::from(view)))
}

/// Resolves the case (its agent or a supervisor); the agent's freed room goes to the queue.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/case/resolve", tag = "business",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = CaseResponse),
    (status = 403, description = "`not_your_case`: its customer, or an agent of the business but not this case's"),
    (status = 404, description = "`case_not_found`"),
    (status = 409, description = "`case_not_open` or `case_changed`")))]
#[post("/conversations/{id}/case/resolve")]
pub async fn resolve_case(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let view = state
        .business
        .resolve_case
        .handle(user.id(), ConversationId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::Ok().json(CaseResponse::from(view)))
}

/// Exactly one of `agent_id` and `team_id`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"team_id": "01935f5e-8b5c-7cc4-9d1e-6e1f2a3b4c5d"}))]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    /// Straight to this member of the staff, whatever their load.
    pub agent_id: Option<Uuid>,
    /// To the end of this team's queue.
    pub team_id: Option<Uuid>,
}

impl TransferBody {
    fn into_target(self) -> Result<Transfer, AppError> {
        match (self.agent_id, self.team_id) {
            (Some(agent), None) => Ok(Transfer::Agent(UserId::from_uuid(agent))),
            (None, Some(team)) => Ok(Transfer::Team(TeamId::from_uuid(team))),
            (Some(_), Some(_)) => Err(AppError::invalid(
                "team_id",
                "give agent_id or team_id, not both",
            )),
            (None, None) => Err(AppError::invalid("agent_id", "give agent_id or team_id")),
        }
    }
}

/// Transfers the case to another agent or team (its agent or a supervisor).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/case/transfer", tag = "business",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = TransferBody,
    responses((status = 200, body = CaseResponse),
    (status = 403, description = "`not_your_case`: its customer, or an agent of the business but not this case's"),
    (status = 404, description = "`case_not_found`"),
    (status = 409, description = "`case_not_open` or `case_changed`"),
    (status = 422, description = "Neither or both targets, or one not of this business")))]
#[post("/conversations/{id}/case/transfer")]
pub async fn transfer_case(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Json<TransferBody>,
) -> Result<HttpResponse, Problem> {
    let target = body.into_inner().into_target()?;
    let view = state
        .business
        .transfer_case
        .handle(user.id(), ConversationId::from_uuid(*id), target)
        .await?;
    Ok(HttpResponse::Ok().json(CaseResponse::from(view)))
}

/// The case's conversation history, paged like `GET /conversations/{id}/messages`: for its
/// customer and agent, and for the business's supervisors, who oversee every case without
/// being in it.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/case/messages", tag = "business",
    security(("bearer" = [])), params(("id" = Uuid, Path), HistoryQuery),
    responses((status = 200, body = HistoryResponse),
    (status = 404, description = "`case_not_found` (also when the caller may not see it)"),
    (status = 422, description = "Bad cursor or limit")))]
#[get("/conversations/{id}/case/messages")]
pub async fn case_history(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: Query<HistoryQuery>,
) -> Result<HttpResponse, Problem> {
    let range = query.range()?;
    let page = state
        .business
        .case_history
        .handle(user.id(), ConversationId::from_uuid(*id), range)
        .await?;
    Ok(HttpResponse::Ok().json(HistoryResponse::of(page, range)))
}
