use std::sync::Arc;

use crate::application::business::desk::CaseDesk;
use crate::application::business::{BusinessPorts, CaseView, business_of, team_of};
use crate::application::error::AppError;
use crate::domain::business::{BusinessRepository, CaseState, TeamId};
use crate::domain::shared::{ConversationId, UserId};

/// Where a transfer sends a case.
#[derive(Debug, Clone, Copy)]
pub enum Transfer {
    /// Straight to this member of the staff, whatever their load.
    Agent(UserId),
    /// To the end of this team's queue.
    Team(TeamId),
}

/// Hands a case to an agent or another team's queue (its agent or a supervisor).
pub struct TransferCaseHandler {
    businesses: Arc<dyn BusinessRepository>,
    desk: Arc<CaseDesk>,
}

impl TransferCaseHandler {
    pub(in crate::application::business) fn new(
        ports: &BusinessPorts,
        desk: Arc<CaseDesk>,
    ) -> Self {
        Self {
            businesses: ports.businesses.clone(),
            desk,
        }
    }

    pub async fn handle(
        &self,
        me: UserId,
        id: ConversationId,
        to: Transfer,
    ) -> Result<CaseView, AppError> {
        let desk = &self.desk;
        let businesses = self.businesses.as_ref();
        let was = desk.case(id).await?;
        desk.check_can_handle(me, &was).await?;
        if was.state == CaseState::Resolved {
            return Err(AppError::Conflict("case_not_open"));
        }
        let mut case = was.clone();
        let now = desk.now();
        match to {
            Transfer::Agent(agent) => {
                if businesses.member(was.business_id, agent).await?.is_none() {
                    return Err(AppError::invalid("agent_id", "is not on the staff"));
                }
                case.hand_to(agent, now)?;
            }
            Transfer::Team(team) => {
                team_of(businesses, was.business_id, team)
                    .await
                    .map_err(|_| AppError::invalid("team_id", "is not a team of this business"))?;
                case.requeue(team, now);
            }
        }
        desk.save(me, &case, &was).await?;
        let business = business_of(businesses, was.business_id).await?;
        match to {
            Transfer::Team(team) => {
                desk.router.route(was.business_id, team).await?;
                desk.tell_if_waiting(&business, id).await?;
            }
            Transfer::Agent(_) => desk.router.tell_assigned(&business, &case).await,
        }
        if let Some(previous) = was.agent_id.filter(|p| case.agent_id != Some(*p)) {
            desk.router.route_for(was.business_id, previous).await?;
        }
        desk.view(desk.case(id).await?).await
    }
}
