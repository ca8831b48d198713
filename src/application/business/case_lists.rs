//! The staff's views of cases: the queue, an agent's inbox, and the figures.

use super::cases::{CaseView, CasesHandler};
use crate::application::error::AppError;
use crate::domain::business::{BusinessId, CaseFilter, CaseState, Figures, TeamId};
use crate::domain::shared::UserId;

/// Cases a period's figures are measured over, at most.
const FIGURES_CASES_MAX: u64 = 100_000;

impl CasesHandler {
    /// Queued cases of the business (of one team, or all), in routing order: for its staff.
    pub async fn queue(
        &self,
        me: UserId,
        business: BusinessId,
        team: Option<TeamId>,
        limit: u64,
    ) -> Result<Vec<CaseView>, AppError> {
        self.deps.staff(business, me).await?;
        let filter = CaseFilter {
            team,
            agent: None,
            states: vec![CaseState::Queued],
            since: None,
            limit,
        };
        let cases = self.deps.cases.cases(business, filter).await?;
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

    /// The business's figures over the last `days` days (supervisors).
    pub async fn figures(
        &self,
        me: UserId,
        business: BusinessId,
        days: u32,
    ) -> Result<Figures, AppError> {
        let deps = &self.deps;
        deps.supervisor(business, me).await?;
        let since = deps.clock.now() - time::Duration::days(i64::from(days));
        let filter = CaseFilter {
            since: Some(since),
            limit: FIGURES_CASES_MAX,
            ..CaseFilter::default()
        };
        let period = deps.cases.cases(business, filter).await?;
        let waiting = deps.cases.count(business, CaseState::Queued).await?;
        let assigned = deps.cases.count(business, CaseState::Assigned).await?;
        Ok(Figures::measure(&period, waiting, assigned))
    }

    /// Open cases assigned to `agent` (the caller when `None`); supervisors see anyone's.
    pub async fn inbox(
        &self,
        me: UserId,
        business: BusinessId,
        agent: Option<UserId>,
        limit: u64,
    ) -> Result<Vec<CaseView>, AppError> {
        let staff = self.deps.staff(business, me).await?;
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
        let cases = self.deps.cases.cases(business, filter).await?;
        Ok(cases
            .into_iter()
            .map(|case| CaseView {
                case,
                position: None,
            })
            .collect())
    }
}
