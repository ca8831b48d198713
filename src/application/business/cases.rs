//! A customer's case: opening, resolution and transfers, and what the customer is told.

use std::sync::Arc;

use super::BusinessDeps;
use super::notices::logged;
use super::routing::Router;
use crate::application::error::AppError;
use crate::application::messages::{HistoryPage, overseen_page};
use crate::domain::business::{Business, BusinessId, Case, CaseChange, CaseState, Team, TeamId};
use crate::domain::conversations::{
    Conversation, ConversationKind, Description, Participant, Role, Title,
};
use crate::domain::messages::HistoryRange;
use crate::domain::shared::{ConversationId, DomainEvent, RepoError, UserId};

/// A case, with its place in the queue while it waits.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub case: Case,
    pub position: Option<u64>,
}

/// Where a transfer sends a case.
#[derive(Debug, Clone, Copy)]
pub enum Transfer {
    /// Straight to this member of the staff, whatever their load.
    Agent(UserId),
    /// To the end of this team's queue.
    Team(TeamId),
}

/// Customers' conversations with businesses: opening, the queue and inboxes, transfers and
/// resolution.
pub struct CasesHandler {
    pub(super) deps: Arc<BusinessDeps>,
    pub(super) router: Arc<Router>,
}

impl CasesHandler {
    pub(super) fn new(deps: Arc<BusinessDeps>, router: Arc<Router>) -> Self {
        Self { deps, router }
    }

    async fn view(&self, case: Case) -> Result<CaseView, AppError> {
        let position = match case.state {
            CaseState::Queued => Some(self.deps.cases.position(&case).await?),
            _ => None,
        };
        Ok(CaseView { case, position })
    }

    async fn case(&self, id: ConversationId) -> Result<Case, AppError> {
        self.deps
            .cases
            .case(id)
            .await?
            .ok_or(AppError::NotFound("case_not_found"))
    }

    /// The case, for its customer, its agent and the business's supervisors; everyone else is
    /// told it does not exist.
    pub async fn get(&self, me: UserId, id: ConversationId) -> Result<CaseView, AppError> {
        let case = self.case(id).await?;
        if case.customer_id != me && case.agent_id != Some(me) {
            let staff = self.deps.businesses.member(case.business_id, me).await?;
            if !staff.is_some_and(|m| m.role.supervises()) {
                return Err(AppError::NotFound("case_not_found"));
            }
        }
        self.view(case).await
    }

    /// The conversation's history for whoever may see the case: its customer and agent (as
    /// participants), and the business's supervisors, who oversee every case without
    /// joining it.
    pub async fn history(
        &self,
        me: UserId,
        id: ConversationId,
        range: HistoryRange,
    ) -> Result<HistoryPage, AppError> {
        self.get(me, id).await?;
        overseen_page(self.deps.history.as_ref(), me, id, range).await
    }

    /// Opens `me`'s conversation with a business (`true`), or returns the one they have,
    /// reopened if it was resolved (`false`). It is assigned at once when an agent has room.
    pub async fn start(
        &self,
        me: UserId,
        business: BusinessId,
        team: Option<TeamId>,
    ) -> Result<(CaseView, bool), AppError> {
        let deps = &self.deps;
        let profile = deps.business(business).await?;
        if deps.businesses.member(business, me).await?.is_some() {
            return Err(AppError::Forbidden("staff_cannot_be_customer"));
        }
        let team = match team {
            Some(team) => deps.team(business, team).await?,
            None => deps
                .businesses
                .teams(business)
                .await?
                .into_iter()
                .next()
                .ok_or(AppError::Unexpected(anyhow::anyhow!(
                    "a business without a team"
                )))?,
        };
        if let Some(existing) = deps.cases.case_of_customer(business, me).await? {
            let case = self.reopen(me, existing, team.id).await?;
            return Ok((self.view(case).await?, false));
        }
        deps.create_limit.spend(me).await?;
        let now = deps.clock.now();
        let title = Title::parse(&profile.name).ok();
        let conversation = Conversation::new(
            ConversationKind::Business,
            title,
            Description::default(),
            me,
            now,
        );
        let customer = Participant::new(me, Role::Member, now);
        let case = Case::new(conversation.id, business, team.id, me, now);
        let announce = [
            DomainEvent::ConversationCreated {
                conversation_id: conversation.id,
            },
            DomainEvent::CaseChanged(CaseChange::of(&case, deps.supervisors(business).await?)),
        ];
        match deps
            .cases
            .open_case(&conversation, &customer, &case, &announce)
            .await
        {
            // Opened by a request of theirs that raced this one.
            Err(RepoError::Duplicate(_)) => {
                let raced = deps.cases.case_of_customer(business, me).await?;
                let raced = raced.ok_or(AppError::Conflict("case_changed"))?;
                return Ok((self.view(raced).await?, false));
            }
            other => other?,
        }
        self.router.route(business, team.id).await?;
        let case = self.tell_if_waiting(&profile, conversation.id).await?;
        Ok((self.view(case).await?, true))
    }

    /// A case still queued after routing: its customer is told their place (or when the
    /// business opens). The case stands whatever happens to the message.
    async fn tell_if_waiting(
        &self,
        business: &Business,
        id: ConversationId,
    ) -> Result<Case, AppError> {
        let case = self.case(id).await?;
        if case.state != CaseState::Queued {
            return Ok(case);
        }
        let told = async {
            let position = self.deps.cases.position(&case).await?;
            let now = self.deps.clock.now();
            self.deps.tell_place(business, &case, position, now).await
        };
        logged(told.await, id, "queued");
        Ok(case)
    }

    /// Tells the customer `text`, logging a failure: the change it reports stands.
    async fn tell(&self, case: &Case, text: &str) {
        logged(self.deps.tell(case, text).await, case.conversation_id, text);
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
        reopened.reopen(team, self.deps.clock.now());
        self.save(me, &reopened, &case).await?;
        self.router.route(case.business_id, team).await?;
        let business = self.deps.business(case.business_id).await?;
        self.tell_if_waiting(&business, case.conversation_id).await
    }

    /// Stores a change of `was` and announces it: to the customer, the agents before and
    /// after, and the supervisors.
    async fn save(&self, me: UserId, case: &Case, was: &Case) -> Result<(), AppError> {
        let deps = &self.deps;
        let mut audience = deps.supervisors(case.business_id).await?;
        let mut announce = Vec::new();
        if was.agent_id != case.agent_id {
            if let Some(previous) = was.agent_id {
                audience.push(previous);
                announce.push(DomainEvent::ParticipantRemoved {
                    conversation_id: case.conversation_id,
                    user_id: previous,
                    by: me,
                });
            }
            if let Some(agent) = case.agent_id {
                announce.push(DomainEvent::ParticipantAdded {
                    conversation_id: case.conversation_id,
                    user_id: agent,
                    by: me,
                });
            }
        }
        announce.push(DomainEvent::CaseChanged(CaseChange::of(case, audience)));
        if !deps.cases.save_case(case, was, &announce).await? {
            return Err(AppError::Conflict("case_changed"));
        }
        Ok(())
    }

    /// The case's agent or a supervisor may act on it; its customer and other agents are
    /// refused, and everyone else told it does not exist.
    async fn check_can_handle(&self, me: UserId, case: &Case) -> Result<(), AppError> {
        let staff = self.deps.businesses.member(case.business_id, me).await?;
        match staff {
            Some(m) if m.role.supervises() || case.agent_id == Some(me) => Ok(()),
            Some(_) => Err(AppError::Forbidden("not_your_case")),
            None if case.customer_id == me => Err(AppError::Forbidden("not_your_case")),
            None => Err(AppError::NotFound("case_not_found")),
        }
    }

    pub async fn resolve(&self, me: UserId, id: ConversationId) -> Result<CaseView, AppError> {
        let was = self.case(id).await?;
        self.check_can_handle(me, &was).await?;
        let mut case = was.clone();
        case.resolve(self.deps.clock.now())?;
        self.save(me, &case, &was).await?;
        self.tell(
            &case,
            "This conversation was resolved. Write again to reopen it.",
        )
        .await;
        if let Some(agent) = was.agent_id {
            self.router.route_for(was.business_id, agent).await?;
        }
        self.view(case).await
    }

    pub async fn transfer(
        &self,
        me: UserId,
        id: ConversationId,
        to: Transfer,
    ) -> Result<CaseView, AppError> {
        let deps = &self.deps;
        let was = self.case(id).await?;
        self.check_can_handle(me, &was).await?;
        if was.state == CaseState::Resolved {
            return Err(AppError::Conflict("case_not_open"));
        }
        let mut case = was.clone();
        let now = deps.clock.now();
        match to {
            Transfer::Agent(agent) => {
                if deps
                    .businesses
                    .member(was.business_id, agent)
                    .await?
                    .is_none()
                {
                    return Err(AppError::invalid("agent_id", "is not on the staff"));
                }
                case.hand_to(agent, now)?;
            }
            Transfer::Team(team) => {
                deps.team(was.business_id, team)
                    .await
                    .map_err(|_| AppError::invalid("team_id", "is not a team of this business"))?;
                case.requeue(team, now);
            }
        }
        self.save(me, &case, &was).await?;
        let business = deps.business(was.business_id).await?;
        match to {
            Transfer::Team(team) => {
                self.router.route(was.business_id, team).await?;
                self.tell_if_waiting(&business, id).await?;
            }
            Transfer::Agent(_) => self.router.tell_assigned(&business, &case).await,
        }
        if let Some(previous) = was.agent_id.filter(|p| case.agent_id != Some(*p)) {
            self.router.route_for(was.business_id, previous).await?;
        }
        self.view(self.case(id).await?).await
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
