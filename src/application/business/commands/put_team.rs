use std::sync::Arc;

use crate::application::business::{BusinessPorts, supervisor_of, team_of};
use crate::application::error::AppError;
use crate::application::ports::Clock;
use crate::domain::business::{
    BusinessError, BusinessId, BusinessRepository, Routing, Team, TeamId, parse_name,
};
use crate::domain::shared::{RepoError, UserId};

/// A team as a supervisor sets it, whole.
pub struct TeamChange {
    pub name: String,
    pub agents: Vec<UserId>,
    pub routing: Routing,
    pub first_response_secs: Option<u32>,
    pub escalate_to: Option<TeamId>,
}

/// Creates a team (no team named) or renames one and sets its agents, who must be on the
/// staff (supervisors).
pub struct PutTeamHandler {
    businesses: Arc<dyn BusinessRepository>,
    clock: Arc<dyn Clock>,
}

impl PutTeamHandler {
    pub fn new(ports: &BusinessPorts) -> Self {
        Self {
            businesses: ports.businesses.clone(),
            clock: ports.clock.clone(),
        }
    }

    pub async fn handle(
        &self,
        me: UserId,
        id: BusinessId,
        team: Option<TeamId>,
        change: TeamChange,
    ) -> Result<Team, AppError> {
        let businesses = self.businesses.as_ref();
        supervisor_of(businesses, id, me).await?;
        let TeamChange {
            name,
            agents,
            routing,
            first_response_secs,
            escalate_to,
        } = change;
        let name = parse_name(&name).map_err(|e| AppError::invalid("name", e.to_string()))?;
        if let Some(secs) = first_response_secs {
            Team::check_first_response(secs)?;
        }
        if let Some(to) = escalate_to {
            let elsewhere = Some(to) != team && team_of(businesses, id, to).await.is_ok();
            if !elsewhere {
                return Err(BusinessError::EscalationInvalid.into());
            }
        }
        let staff = businesses.members(id).await?;
        let mut agents = agents;
        agents.sort();
        agents.dedup();
        if agents.len() > 500 {
            return Err(AppError::invalid("agent_ids", "at most 500"));
        }
        if let Some(stranger) = agents
            .iter()
            .find(|a| !staff.iter().any(|m| m.user_id == **a))
        {
            return Err(AppError::invalid(
                "agent_ids",
                format!("{stranger} is not on the staff"),
            ));
        }
        let team = match team {
            Some(existing) => Team {
                name,
                agents,
                routing,
                first_response_secs,
                escalate_to,
                ..team_of(businesses, id, existing).await?
            },
            None => Team {
                id: TeamId::new(),
                business_id: id,
                name,
                agents,
                routing,
                first_response_secs,
                escalate_to,
                created_at: self.clock.now(),
            },
        };
        match businesses.put_team(&team).await {
            Err(RepoError::Duplicate(_)) => Err(AppError::Conflict("team_name_taken")),
            other => other.map(|()| team).map_err(AppError::from),
        }
    }
}
