use std::sync::Arc;

use crate::application::business::{BusinessPorts, supervisor_of};
use crate::application::error::AppError;
use crate::application::ports::Clock;
use crate::domain::business::{
    BusinessId, BusinessRepository, CaseFilter, CaseQueries, CaseState, Figures,
};
use crate::domain::shared::UserId;

/// Cases a period's figures are measured over, at most.
const FIGURES_CASES_MAX: u64 = 100_000;

/// The business's figures over the last days (supervisors).
pub struct CaseFiguresHandler {
    businesses: Arc<dyn BusinessRepository>,
    cases: Arc<dyn CaseQueries>,
    clock: Arc<dyn Clock>,
}

impl CaseFiguresHandler {
    pub fn new(ports: &BusinessPorts) -> Self {
        Self {
            businesses: ports.businesses.clone(),
            cases: ports.case_queries.clone(),
            clock: ports.clock.clone(),
        }
    }

    pub async fn handle(
        &self,
        me: UserId,
        business: BusinessId,
        days: u32,
    ) -> Result<Figures, AppError> {
        supervisor_of(self.businesses.as_ref(), business, me).await?;
        let since = self.clock.now() - time::Duration::days(i64::from(days));
        let filter = CaseFilter {
            since: Some(since),
            limit: FIGURES_CASES_MAX,
            ..CaseFilter::default()
        };
        let period = self.cases.cases(business, filter).await?;
        let waiting = self.cases.count(business, CaseState::Queued).await?;
        let assigned = self.cases.count(business, CaseState::Assigned).await?;
        Ok(Figures::measure(&period, waiting, assigned))
    }
}
