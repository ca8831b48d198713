use std::sync::Arc;

use crate::application::business::{BusinessPorts, CaseView, staff_of};
use crate::application::error::AppError;
use crate::domain::business::{BusinessId, BusinessRepository, CaseFilter, CaseQueries, CaseState};
use crate::domain::shared::UserId;

/// Open cases assigned to an agent (the caller when none is named); supervisors see anyone's.
pub struct CaseInboxHandler {
    businesses: Arc<dyn BusinessRepository>,
    cases: Arc<dyn CaseQueries>,
}

impl CaseInboxHandler {
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
        agent: Option<UserId>,
        limit: u64,
    ) -> Result<Vec<CaseView>, AppError> {
        let staff = staff_of(self.businesses.as_ref(), business, me).await?;
        let agent = agent.unwrap_or(me);
        if agent != me {
            staff.check_supervises()?;
        }
        let filter = CaseFilter {
            team: None,
            agent: Some(agent),
            states: vec![CaseState::Assigned],
            since: None,
            limit,
        };
        let cases = self.cases.cases(business, filter).await?;
        Ok(cases
            .into_iter()
            .map(|case| CaseView {
                case,
                position: None,
            })
            .collect())
    }
}
