//! What every case use case shares: the case desk.

use std::sync::Arc;

use super::notices::{Notices, logged};
use super::routing::Router;
use super::{BusinessPorts, business_of, supervisors_of};
use crate::application::error::AppError;
use crate::application::ports::Clock;
use crate::domain::business::{
    Business, BusinessRepository, Case, CaseChange, CaseQueries, CaseRepository, CaseState, Team,
    TeamId,
};
use crate::domain::shared::{ConversationId, DomainEvent, MemberChange, UserId};

/// A case, with its place in the queue while it waits.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub case: Case,
    pub position: Option<u64>,
}

/// The workflow every case use case shares: reading a case and who may act on it, storing a
/// change with its events, reopening, escalating, routing after a change and telling the
/// customer. The case handlers, the business clock's pass and the case watcher hold one.
pub(super) struct CaseDesk {
    businesses: Arc<dyn BusinessRepository>,
    cases: Arc<dyn CaseRepository>,
    queries: Arc<dyn CaseQueries>,
    clock: Arc<dyn Clock>,
    pub(super) router: Arc<Router>,
    pub(super) notices: Arc<Notices>,
}

impl CaseDesk {
    pub(super) fn new(ports: &BusinessPorts, router: Arc<Router>, notices: Arc<Notices>) -> Self {
        Self {
            businesses: ports.businesses.clone(),
            cases: ports.cases.clone(),
            queries: ports.case_queries.clone(),
            clock: ports.clock.clone(),
            router,
            notices,
        }
    }

    pub(super) fn cases(&self) -> &dyn CaseRepository {
        self.cases.as_ref()
    }

    pub(super) fn queries(&self) -> &dyn CaseQueries {
        self.queries.as_ref()
    }

    pub(super) fn businesses(&self) -> &dyn BusinessRepository {
        self.businesses.as_ref()
    }

    pub(super) fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// The case, for its customer, its agent and the business's supervisors; everyone else is
    /// told it does not exist.
    pub(super) async fn seen_by(
        &self,
        me: UserId,
        id: ConversationId,
    ) -> Result<CaseView, AppError> {
        let case = self.case(id).await?;
        if case.customer_id != me && case.agent_id != Some(me) {
            let staff = self.businesses.member(case.business_id, me).await?;
            if !staff.is_some_and(|m| m.role.supervises()) {
                return Err(AppError::NotFound("case_not_found"));
            }
        }
        self.view(case).await
    }

    pub(super) async fn view(&self, case: Case) -> Result<CaseView, AppError> {
        let position = match case.state {
            CaseState::Queued => Some(self.queries.position(&case).await?),
            _ => None,
        };
        Ok(CaseView { case, position })
    }

    pub(super) async fn case(&self, id: ConversationId) -> Result<Case, AppError> {
        self.cases
            .case(id)
            .await?
            .ok_or(AppError::NotFound("case_not_found"))
    }

    /// A case still queued after routing: its customer is told their place (or when the
    /// business opens). The case stands whatever happens to the message.
    pub(super) async fn tell_if_waiting(
        &self,
        business: &Business,
        id: ConversationId,
    ) -> Result<Case, AppError> {
        let case = self.case(id).await?;
        if case.state != CaseState::Queued {
            return Ok(case);
        }
        let told = async {
            let position = self.queries.position(&case).await?;
            let now = self.clock.now();
            self.notices
                .tell_place(business, &case, position, now)
                .await
        };
        logged(told.await, id, "queued");
        Ok(case)
    }

    /// Tells the customer `text`, logging a failure: the change it reports stands.
    pub(super) async fn tell(&self, case: &Case, text: &str) {
        logged(
            self.notices.tell(case, text).await,
            case.conversation_id,
            text,
        );
    }

    /// Queues a resolved case again in `team` and routes it; an open case stays as it is.
    pub(super) async fn reopen(
        &self,
        me: UserId,
        case: Case,
        team: TeamId,
    ) -> Result<Case, AppError> {
        if case.state != CaseState::Resolved {
            return Ok(case);
        }
        let mut reopened = case.clone();
        reopened.reopen(team, self.clock.now());
        self.save(me, &reopened, &case).await?;
        self.router.route(case.business_id, team).await?;
        let business = business_of(self.businesses.as_ref(), case.business_id).await?;
        self.tell_if_waiting(&business, case.conversation_id).await
    }

    /// Stores a change of `was` and announces it: to the customer, the agents before and
    /// after, and the supervisors.
    pub(super) async fn save(&self, me: UserId, case: &Case, was: &Case) -> Result<(), AppError> {
        let mut audience = supervisors_of(self.businesses.as_ref(), case.business_id).await?;
        let mut announce = Vec::new();
        if was.agent_id != case.agent_id {
            if let Some(previous) = was.agent_id {
                audience.push(previous);
                announce.push(DomainEvent::ParticipantRemoved(MemberChange {
                    conversation_id: case.conversation_id,
                    user_id: previous,
                    by: me,
                }));
            }
            if let Some(agent) = case.agent_id {
                announce.push(DomainEvent::ParticipantAdded(MemberChange {
                    conversation_id: case.conversation_id,
                    user_id: agent,
                    by: me,
                }));
            }
        }
        announce.push(DomainEvent::CaseChanged(CaseChange::of(case, audience)));
        if !self.cases.save_case(case, was, &announce).await? {
            return Err(AppError::Conflict("case_changed"));
        }
        Ok(())
    }

    /// The case's agent or a supervisor may act on it; its customer and other agents are
    /// refused, and everyone else told it does not exist.
    pub(super) async fn check_can_handle(&self, me: UserId, case: &Case) -> Result<(), AppError> {
        let staff = self.businesses.member(case.business_id, me).await?;
        match staff {
            Some(m) if m.role.supervises() || case.agent_id == Some(me) => Ok(()),
            Some(_) => Err(AppError::Forbidden("not_your_case")),
            None if case.customer_id == me => Err(AppError::Forbidden("not_your_case")),
            None => Err(AppError::NotFound("case_not_found")),
        }
    }

    /// Escalates a case past its team's first-response time: a higher priority, its
    /// supervisors told (the change's audience), and a move when the team says so. Another
    /// instance's pass escalating it first leaves it as that one did.
    pub(super) async fn escalate(
        &self,
        business: &Business,
        was: Case,
        team: &Team,
        now: time::OffsetDateTime,
    ) -> Result<(), AppError> {
        let mut case = was.clone();
        case.escalate(team.escalate_to, now);
        match self
            .save(was.agent_id.unwrap_or(was.customer_id), &case, &was)
            .await
        {
            Err(AppError::Conflict(_)) => return Ok(()),
            other => other?,
        }
        metrics::counter!("business_escalations_total").increment(1);
        if let Some(to) = team.escalate_to {
            self.router.route(business.id, to).await?;
            self.tell_if_waiting(business, case.conversation_id).await?;
        }
        if let Some(previous) = was.agent_id.filter(|p| case.agent_id != Some(*p)) {
            self.router.route_for(business.id, previous).await?;
        }
        Ok(())
    }
}
