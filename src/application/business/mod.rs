//! Business chat use cases: businesses and their staff and teams, agent availability, and
//! cases (a customer's conversation with a business) routed to agents. Who may see and do what
//! is decided here: an agent of one business sees nothing of another, a customer only their
//! own case.

mod agents;
mod case_lists;
mod cases;
mod directory;
mod notices;
mod routing;
mod ticker;
mod watcher;

use std::sync::Arc;

pub use agents::{AgentsHandler, Availability};
pub use cases::{CaseView, CasesHandler, Transfer};
pub use directory::{DirectoryHandler, NewBusiness, ProfileChange, TeamChange};
use routing::Router;
pub use ticker::BusinessTicker;

use crate::application::error::AppError;
use crate::application::limits::WriteLimit;
use crate::application::ports::Clock;
use crate::domain::business::{
    Business, BusinessError, BusinessId, BusinessRepository, CaseRepository, Member, Team, TeamId,
};
use crate::domain::messages::{HistoryQueries, MessageRepository};
use crate::domain::shared::UserId;
use crate::domain::users::ProfileRepository;

pub struct BusinessDeps {
    pub businesses: Arc<dyn BusinessRepository>,
    pub cases: Arc<dyn CaseRepository>,
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

impl BusinessDeps {
    async fn business(&self, id: BusinessId) -> Result<Business, AppError> {
        self.businesses
            .find(id)
            .await?
            .ok_or(AppError::NotFound("business_not_found"))
    }

    /// `user`'s place on the staff; outsiders get the answer a missing business gets.
    async fn staff(&self, id: BusinessId, user: UserId) -> Result<Member, AppError> {
        self.businesses
            .member(id, user)
            .await?
            .ok_or(AppError::NotFound("business_not_found"))
    }

    async fn supervisor(&self, id: BusinessId, user: UserId) -> Result<Member, AppError> {
        let member = self.staff(id, user).await?;
        member.check_supervises()?;
        Ok(member)
    }

    async fn team(&self, business: BusinessId, id: TeamId) -> Result<Team, AppError> {
        self.businesses
            .teams(business)
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(AppError::NotFound("team_not_found"))
    }

    /// Owners and supervisors: they hear of every case and agent of the business.
    async fn supervisors(&self, id: BusinessId) -> Result<Vec<UserId>, AppError> {
        let members = self.businesses.members(id).await?;
        Ok(members
            .into_iter()
            .filter(|m| m.role.supervises())
            .map(|m| m.user_id)
            .collect())
    }
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

pub struct BusinessHandlers {
    pub directory: DirectoryHandler,
    pub agents: AgentsHandler,
    pub cases: Arc<CasesHandler>,
}

impl BusinessHandlers {
    pub fn new(deps: Arc<BusinessDeps>) -> Self {
        let router = Arc::new(Router::new(deps.clone()));
        Self {
            directory: DirectoryHandler::new(deps.clone()),
            agents: AgentsHandler::new(deps.clone(), router.clone()),
            cases: Arc::new(CasesHandler::new(deps, router)),
        }
    }

    /// The periodic pass that routes businesses as they open, moves queue notices and
    /// escalates unanswered cases.
    pub fn ticker(&self) -> BusinessTicker {
        BusinessTicker::new(self.cases.clone())
    }

    /// The consumer of the event log that follows cases' messages: reopenings and first
    /// responses.
    pub fn watcher(&self) -> Arc<dyn crate::application::events::EventHandler> {
        Arc::new(watcher::CaseWatcher::new(self.cases.clone()))
    }
}
