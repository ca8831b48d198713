//! Routing: hands queued cases to agents until a team's queue is empty or nobody has room.
//! Runs after every change that may free an agent or queue a case, so queued work never waits
//! for a change that already happened.

use std::sync::Arc;

use super::BusinessDeps;
use crate::application::error::AppError;
use crate::domain::business::{BusinessId, CaseChange, TeamId};
use crate::domain::shared::{DomainEvent, UserId};

pub(super) struct Router(Arc<BusinessDeps>);

impl Router {
    pub(super) fn new(deps: Arc<BusinessDeps>) -> Self {
        Self(deps)
    }

    /// Assigns `team`'s queue, head first, while agents have room; how many were assigned.
    pub(super) async fn route(&self, business: BusinessId, team: TeamId) -> Result<u32, AppError> {
        let deps = &self.0;
        let supervisors = deps.supervisors(business).await?;
        let announce = |case: &crate::domain::business::Case| {
            let agent = case.agent_id.unwrap_or(case.customer_id);
            vec![
                DomainEvent::ParticipantAdded {
                    conversation_id: case.conversation_id,
                    user_id: agent,
                    by: agent,
                },
                DomainEvent::CaseChanged(CaseChange::of(case, supervisors.clone())),
            ]
        };
        let mut assigned = 0;
        while let Some(case) = deps
            .businesses
            .assign_next(business, team, deps.clock.now(), &announce)
            .await?
        {
            metrics::counter!("business_assignments_total").increment(1);
            let waited = (case.assigned_at.unwrap_or(case.queued_at) - case.queued_at)
                .as_seconds_f64()
                .max(0.0);
            metrics::histogram!("business_queue_wait_seconds").record(waited);
            assigned += 1;
        }
        Ok(assigned)
    }

    /// Routes every team `agent` works in: they may have room now.
    pub(super) async fn route_for(
        &self,
        business: BusinessId,
        agent: UserId,
    ) -> Result<(), AppError> {
        let teams = self.0.businesses.teams(business).await?;
        for team in teams.iter().filter(|t| t.agents.contains(&agent)) {
            self.route(business, team.id).await?;
        }
        Ok(())
    }
}
