//! Routing: hands queued cases to agents until a team's queue is empty or nobody has room.
//! Runs after every change that may free an agent or queue a case, so queued work never waits
//! for a change that already happened.

use std::sync::Arc;

use super::notices::{Notices, logged};
use super::{BusinessPorts, business_of, supervisors_of};
use crate::application::error::AppError;
use crate::application::ports::Clock;
use crate::domain::business::{
    Business, BusinessId, BusinessRepository, Case, CaseChange, CaseRepository, TeamId,
};
use crate::domain::shared::{DomainEvent, MemberChange, UserId};

/// Cases one transaction assigns at most: a burst of arrivals costs one commit per this many,
/// while the routing lock is never held for long.
const ASSIGNED_AT_ONCE: usize = 50;

pub(super) struct Router {
    businesses: Arc<dyn BusinessRepository>,
    cases: Arc<dyn CaseRepository>,
    clock: Arc<dyn Clock>,
    notices: Arc<Notices>,
}

impl Router {
    pub(super) fn new(ports: &BusinessPorts, notices: Arc<Notices>) -> Self {
        Self {
            businesses: ports.businesses.clone(),
            cases: ports.cases.clone(),
            clock: ports.clock.clone(),
            notices,
        }
    }

    /// Assigns `team`'s queue, head first, while agents have room and the business is open;
    /// how many were assigned. Each customer is told an agent joined.
    pub(super) async fn route(&self, business: BusinessId, team: TeamId) -> Result<u32, AppError> {
        let profile = business_of(self.businesses.as_ref(), business).await?;
        if !profile.hours.is_open(self.clock.now()) {
            return Ok(0);
        }
        let supervisors = supervisors_of(self.businesses.as_ref(), business).await?;
        let announce = |case: &Case| {
            let agent = case.agent_id.unwrap_or(case.customer_id);
            vec![
                DomainEvent::ParticipantAdded(MemberChange {
                    conversation_id: case.conversation_id,
                    user_id: agent,
                    by: agent,
                }),
                DomainEvent::CaseChanged(CaseChange::of(case, supervisors.clone())),
            ]
        };
        let mut assigned = 0;
        loop {
            let batch = self
                .cases
                .assign_queue(
                    business,
                    team,
                    self.clock.now(),
                    ASSIGNED_AT_ONCE,
                    &announce,
                )
                .await?;
            for case in &batch {
                let waited = (case.assigned_at.unwrap_or(case.queued_at) - case.queued_at)
                    .as_seconds_f64()
                    .max(0.0);
                metrics::histogram!("business_queue_wait_seconds").record(waited);
            }
            metrics::counter!("business_assignments_total").increment(batch.len() as u64);
            let told = batch.iter().map(|case| self.tell_assigned(&profile, case));
            futures_util::future::join_all(told).await;
            assigned += batch.len() as u32;
            if batch.len() < ASSIGNED_AT_ONCE {
                return Ok(assigned);
            }
        }
    }

    /// Tells the customer an agent has their case (a failure is logged: the assignment stands).
    pub(super) async fn tell_assigned(&self, business: &Business, case: &Case) {
        let Some(agent) = case.agent_id else { return };
        let told = async {
            let text = self.notices.assigned_text(business, agent).await?;
            self.notices.tell(case, &text).await
        };
        logged(told.await, case.conversation_id, "assigned");
    }

    /// Routes every team `agent` works in: they may have room now.
    pub(super) async fn route_for(
        &self,
        business: BusinessId,
        agent: UserId,
    ) -> Result<(), AppError> {
        let teams = self.businesses.teams(business).await?;
        for team in teams.iter().filter(|t| t.agents.contains(&agent)) {
            self.route(business, team.id).await?;
        }
        Ok(())
    }
}
