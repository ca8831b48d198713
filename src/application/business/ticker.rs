//! The business clock's pass, run on every instance: routes the queues of businesses that
//! are open (cases queued while closed are assigned when they open, and none waits on an
//! instance that died mid-routing), moves queued customers' notices as their queue moves, and
//! escalates cases past their team's first-response time. Routing holds the business's lock
//! and an escalation is a compare-and-set, so instances running side by side do each once.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::time::Duration;

use super::business_of;
use super::desk::CaseDesk;
use crate::application::error::AppError;
use crate::domain::business::{Business, BusinessId, CaseFilter, CaseState, Team, TeamId};

/// Queued cases whose notice one pass keeps current, per team: past it, the head of the
/// queue is what moves.
const TOLD_PER_TEAM: u64 = 1_000;
/// Unanswered cases one pass looks at, longest waiting first.
const CHECKED_FOR_ESCALATION: u64 = 500;

pub struct BusinessTicker {
    desk: Arc<CaseDesk>,
}

/// What one pass has read of each business.
#[derive(Default)]
struct Seen {
    businesses: HashMap<BusinessId, Business>,
    teams: HashMap<BusinessId, Vec<Team>>,
}

impl BusinessTicker {
    pub(super) fn new(desk: Arc<CaseDesk>) -> Self {
        Self { desk }
    }

    pub async fn run_every(self, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(error) = self.tick().await {
                tracing::warn!(%error, "business pass failed");
            }
        }
    }

    pub async fn tick(&self) -> Result<(), AppError> {
        let mut seen = Seen::default();
        let queued = self.desk.queries().queued_teams().await?;
        for (business, team) in queued {
            let profile = self.business(&mut seen, business).await?;
            self.desk.router.route(business, team).await?;
            self.tell_places(&profile, team).await?;
        }
        self.escalate(&mut seen).await
    }

    async fn business(&self, seen: &mut Seen, id: BusinessId) -> Result<Business, AppError> {
        if let Some(business) = seen.businesses.get(&id) {
            return Ok(business.clone());
        }
        let business = business_of(self.desk.businesses(), id).await?;
        seen.businesses.insert(id, business.clone());
        Ok(business)
    }

    async fn tell_places(&self, business: &Business, team: TeamId) -> Result<(), AppError> {
        let desk = &self.desk;
        let filter = CaseFilter {
            team: Some(team),
            states: vec![CaseState::Queued],
            limit: TOLD_PER_TEAM,
            ..CaseFilter::default()
        };
        let now = desk.now();
        let queue = desk.queries().cases(business.id, filter).await?;
        for (ahead, case) in queue.iter().enumerate() {
            desk.notices
                .tell_place(business, case, ahead as u64 + 1, now)
                .await?;
        }
        Ok(())
    }

    async fn escalate(&self, seen: &mut Seen) -> Result<(), AppError> {
        let desk = &self.desk;
        let waiting = desk
            .queries()
            .awaiting_reply(CHECKED_FOR_ESCALATION)
            .await?;
        for case in waiting {
            let now = desk.now();
            let business = self.business(seen, case.business_id).await?;
            if !business.hours.is_open(now) {
                continue;
            }
            if let Entry::Vacant(slot) = seen.teams.entry(case.business_id) {
                slot.insert(desk.businesses().teams(case.business_id).await?);
            }
            let team = seen.teams[&case.business_id]
                .iter()
                .find(|t| t.id == case.team_id)
                .cloned();
            if let Some(team) = team.filter(|t| case.is_overdue(t, now)) {
                desk.escalate(&business, case, &team, now).await?;
            }
        }
        Ok(())
    }
}
