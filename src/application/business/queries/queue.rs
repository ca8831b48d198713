use std::sync::Arc;

use crate::application::business::{BusinessPorts, CaseView, staff_of};
use crate::application::error::AppError;
use crate::domain::business::{
    BusinessId, BusinessRepository, CaseFilter, CaseQueries, CaseState, TeamId,
};
use crate::domain::shared::UserId;

/// Queued cases of the business (of one team, or all), in routing order: for its staff.
pub struct QueueHandler {
    businesses: Arc<dyn BusinessRepository>,
    cases: Arc<dyn CaseQueries>,
}

impl QueueHandler {
    pub fn new(ports: &BusinessPorts) -> Self {
        Self {
            businesses: ports.businesses.clone(),
            cases: ports.case_queries.clone(),
        }
    }

    pub async fn handle(
        &self,
        me: UserId,
        business: BusinessId,
        team: Option<TeamId>,
        limit: u64,
    ) -> Result<Vec<CaseView>, AppError> {
        staff_of(self.businesses.as_ref(), business, me).await?;
        let filter = CaseFilter {
            team,
            agent: None,
            states: vec![CaseState::Queued],
            since: None,
            limit,
        };
        let cases = self.cases.cases(business, filter).await?;
        // In routing order, so positions count up within each team.
        let mut seen: Vec<(TeamId, u64)> = Vec::new();
        Ok(cases
            .into_iter()
            .map(|case| {
                let position = match seen.iter_mut().find(|(t, _)| *t == case.team_id) {
                    Some((_, n)) => {
                        *n += 1;
                        *n
                    }
                    None => {
                        seen.push((case.team_id, 1));
                        1
                    }
                };
                CaseView {
                    case,
                    position: Some(position),
                }
            })
            .collect())
    }
}
