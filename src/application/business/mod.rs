//! Business chat use cases: businesses and their staff and teams, agent availability, and
//! cases (a customer's conversation with a business) routed to agents. Who may see and do what
//! is decided here: an agent of one business sees nothing of another, a customer only their
//! own case.

pub mod commands;
mod desk;
mod notices;
pub mod queries;
mod routing;
mod ticker;
mod watcher;

use std::sync::Arc;

pub use commands::{
    Availability, CreateBusinessHandler, GoOfflineHandler, NewBusiness, ProfileChange,
    PutMemberHandler, PutTeamHandler, ResolveCaseHandler, SetAvailabilityHandler, StartCaseHandler,
    TeamChange, Transfer, TransferCaseHandler, UpdateBusinessHandler,
};
use desk::CaseDesk;
pub use desk::CaseView;
use notices::Notices;
pub use queries::{
    BusinessProfileHandler, BusinessSearchHandler, CaseFiguresHandler, CaseHandler,
    CaseHistoryHandler, CaseInboxHandler, QueueHandler, StaffListHandler, TeamListHandler,
};
use routing::Router;
pub use ticker::BusinessTicker;

use crate::application::error::AppError;
use crate::application::limits::WriteLimit;
use crate::application::ports::Clock;
use crate::domain::business::{
    Business, BusinessError, BusinessId, BusinessRepository, CaseQueries, CaseRepository, Member,
    Team, TeamId,
};
use crate::domain::messages::{HistoryQueries, MessageRepository};
use crate::domain::shared::UserId;
use crate::domain::users::ProfileRepository;

/// What the business handlers are built from; each keeps only the ports it uses.
pub struct BusinessPorts {
    pub businesses: Arc<dyn BusinessRepository>,
    pub cases: Arc<dyn CaseRepository>,
    pub case_queries: Arc<dyn CaseQueries>,
    pub profiles: Arc<dyn ProfileRepository>,
    /// System messages go into cases' conversations through it.
    pub messages: Arc<dyn MessageRepository>,
    /// Supervisors read cases' histories through it.
    pub history: Arc<dyn HistoryQueries>,
    /// The business context's time: business hours and first-response times are read on it.
    pub clock: Arc<dyn Clock>,
    /// New businesses and new cases, per user.
    pub create_limit: WriteLimit,
}

async fn business_of(
    businesses: &dyn BusinessRepository,
    id: BusinessId,
) -> Result<Business, AppError> {
    businesses
        .find(id)
        .await?
        .ok_or(AppError::NotFound("business_not_found"))
}

/// `user`'s place on the staff; outsiders get the answer a missing business gets.
async fn staff_of(
    businesses: &dyn BusinessRepository,
    id: BusinessId,
    user: UserId,
) -> Result<Member, AppError> {
    businesses
        .member(id, user)
        .await?
        .ok_or(AppError::NotFound("business_not_found"))
}

async fn supervisor_of(
    businesses: &dyn BusinessRepository,
    id: BusinessId,
    user: UserId,
) -> Result<Member, AppError> {
    let member = staff_of(businesses, id, user).await?;
    member.check_supervises()?;
    Ok(member)
}

async fn team_of(
    businesses: &dyn BusinessRepository,
    business: BusinessId,
    id: TeamId,
) -> Result<Team, AppError> {
    businesses
        .teams(business)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(AppError::NotFound("team_not_found"))
}

/// Owners and supervisors: they hear of every case and agent of the business.
async fn supervisors_of(
    businesses: &dyn BusinessRepository,
    id: BusinessId,
) -> Result<Vec<UserId>, AppError> {
    let members = businesses.members(id).await?;
    Ok(members
        .into_iter()
        .filter(|m| m.role.supervises())
        .map(|m| m.user_id)
        .collect())
}

impl From<BusinessError> for AppError {
    fn from(error: BusinessError) -> Self {
        match error {
            BusinessError::HandleInvalid => AppError::invalid("handle", error.to_string()),
            BusinessError::NameInvalid => AppError::invalid("name", error.to_string()),
            BusinessError::DescriptionTooLong => {
                AppError::invalid("description", error.to_string())
            }
            BusinessError::CapacityInvalid => AppError::invalid("capacity", error.to_string()),
            BusinessError::SupervisorOnly => AppError::Forbidden("supervisor_only"),
            BusinessError::OwnerOnly => AppError::Forbidden("owner_only"),
            BusinessError::Resolved | BusinessError::NotOpen => AppError::Conflict("case_not_open"),
            BusinessError::HoursInvalid => AppError::invalid("hours", error.to_string()),
            BusinessError::TimeZoneUnknown => AppError::invalid("time_zone", error.to_string()),
            BusinessError::HolidayInvalid => AppError::invalid("holidays", error.to_string()),
            BusinessError::ReplyTooLong => AppError::invalid("closed_reply", error.to_string()),
            BusinessError::FirstResponseInvalid => {
                AppError::invalid("first_response_secs", error.to_string())
            }
            BusinessError::EscalationInvalid => AppError::invalid("escalate_to", error.to_string()),
        }
    }
}

/// Every business handler, built once at startup.
pub struct BusinessHandlers {
    pub create: CreateBusinessHandler,
    pub profile: BusinessProfileHandler,
    pub search: BusinessSearchHandler,
    pub update: UpdateBusinessHandler,
    pub staff: StaffListHandler,
    pub put_member: PutMemberHandler,
    pub teams: TeamListHandler,
    pub put_team: PutTeamHandler,
    pub set_availability: SetAvailabilityHandler,
    pub go_offline: GoOfflineHandler,
    pub start_case: StartCaseHandler,
    pub case: CaseHandler,
    pub case_history: CaseHistoryHandler,
    pub resolve_case: ResolveCaseHandler,
    pub transfer_case: TransferCaseHandler,
    pub queue: QueueHandler,
    pub inbox: CaseInboxHandler,
    pub figures: CaseFiguresHandler,
    desk: Arc<CaseDesk>,
}

impl BusinessHandlers {
    pub fn new(ports: &BusinessPorts) -> Self {
        let notices = Arc::new(Notices::new(ports));
        let router = Arc::new(Router::new(ports, notices.clone()));
        let desk = Arc::new(CaseDesk::new(ports, router.clone(), notices));
        Self {
            create: CreateBusinessHandler::new(ports),
            profile: BusinessProfileHandler::new(ports),
            search: BusinessSearchHandler::new(ports),
            update: UpdateBusinessHandler::new(ports),
            staff: StaffListHandler::new(ports),
            put_member: PutMemberHandler::new(ports),
            teams: TeamListHandler::new(ports),
            put_team: PutTeamHandler::new(ports),
            set_availability: SetAvailabilityHandler::new(ports, router.clone()),
            go_offline: GoOfflineHandler::new(ports),
            start_case: StartCaseHandler::new(ports, desk.clone()),
            case: CaseHandler::new(desk.clone()),
            case_history: CaseHistoryHandler::new(ports, desk.clone()),
            resolve_case: ResolveCaseHandler::new(ports, desk.clone()),
            transfer_case: TransferCaseHandler::new(ports, desk.clone()),
            queue: QueueHandler::new(ports),
            inbox: CaseInboxHandler::new(ports),
            figures: CaseFiguresHandler::new(ports),
            desk,
        }
    }

    /// The periodic pass that routes businesses as they open, moves queue notices and
    /// escalates unanswered cases.
    pub fn ticker(&self) -> BusinessTicker {
        BusinessTicker::new(self.desk.clone())
    }

    /// The consumer of the event log that follows cases' messages: reopenings and first
    /// responses.
    pub fn watcher(&self) -> Arc<dyn crate::application::events::EventHandler> {
        Arc::new(watcher::CaseWatcher::new(self.desk.clone()))
    }
}
