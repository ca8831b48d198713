use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{AgentStatus, BusinessError, BusinessId, TeamId};
use crate::domain::shared::{ConversationId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// Waiting in its team's queue for an agent.
    Queued,
    /// An agent has it: it counts against their capacity.
    Assigned,
    /// Done; the customer coming back reopens it.
    Resolved,
}

impl CaseState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Assigned => "assigned",
            Self::Resolved => "resolved",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "queued" => Some(Self::Queued),
            "assigned" => Some(Self::Assigned),
            "resolved" => Some(Self::Resolved),
            _ => None,
        }
    }
}

/// A customer's conversation with a business, and where it stands in routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub conversation_id: ConversationId,
    pub business_id: BusinessId,
    pub team_id: TeamId,
    pub customer_id: UserId,
    pub agent_id: Option<UserId>,
    pub state: CaseState,
    /// Higher is served first; within a priority, first in, first out.
    pub priority: i32,
    pub queued_at: OffsetDateTime,
    pub assigned_at: Option<OffsetDateTime>,
    /// The agent's first message since it was (last) queued.
    pub first_response_at: Option<OffsetDateTime>,
    pub resolved_at: Option<OffsetDateTime>,
}

impl Case {
    pub fn new(
        conversation_id: ConversationId,
        business_id: BusinessId,
        team_id: TeamId,
        customer_id: UserId,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            conversation_id,
            business_id,
            team_id,
            customer_id,
            agent_id: None,
            state: CaseState::Queued,
            priority: 0,
            queued_at: now,
            assigned_at: None,
            first_response_at: None,
            resolved_at: None,
        }
    }

    /// Back to the end of `team`'s queue, with no agent (a transfer to a team, or a reopening).
    pub fn requeue(&mut self, team: TeamId, now: OffsetDateTime) {
        self.team_id = team;
        self.agent_id = None;
        self.state = CaseState::Queued;
        self.queued_at = now;
        self.assigned_at = None;
        self.first_response_at = None;
        self.resolved_at = None;
    }

    /// Straight to `agent` (a transfer to a person), whatever their load: they asked for it.
    pub fn hand_to(&mut self, agent: UserId, now: OffsetDateTime) -> Result<(), BusinessError> {
        if self.state == CaseState::Resolved {
            return Err(BusinessError::Resolved);
        }
        self.agent_id = Some(agent);
        self.state = CaseState::Assigned;
        self.assigned_at = Some(now);
        Ok(())
    }

    pub fn resolve(&mut self, now: OffsetDateTime) -> Result<(), BusinessError> {
        if self.state == CaseState::Resolved {
            return Err(BusinessError::NotOpen);
        }
        self.state = CaseState::Resolved;
        self.resolved_at = Some(now);
        Ok(())
    }
}

/// An agent who could take a case now: available, in the team, and how loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentLoad {
    pub user_id: UserId,
    pub open: u32,
    pub capacity: u32,
    pub last_assigned_at: Option<OffsetDateTime>,
}

/// The agent the next case goes to: the least busy with room, ties to the one idle longest
/// (never assigned counts as longest), then by id so that the choice is stable.
pub fn pick_agent(agents: &[AgentLoad]) -> Option<UserId> {
    agents
        .iter()
        .filter(|a| a.open < a.capacity)
        .min_by_key(|a| (a.open, a.last_assigned_at, a.user_id))
        .map(|a| a.user_id)
}

/// A case changed: for its customer, its agents (new and previous) and the supervisors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseChange {
    pub conversation_id: ConversationId,
    pub business_id: BusinessId,
    pub team_id: TeamId,
    pub state: CaseState,
    pub agent_id: Option<UserId>,
    pub priority: i32,
    pub audience: Vec<UserId>,
}

impl CaseChange {
    pub fn of(case: &Case, mut audience: Vec<UserId>) -> Self {
        audience.push(case.customer_id);
        audience.extend(case.agent_id);
        audience.sort();
        audience.dedup();
        Self {
            conversation_id: case.conversation_id,
            business_id: case.business_id,
            team_id: case.team_id,
            state: case.state,
            agent_id: case.agent_id,
            priority: case.priority,
            audience,
        }
    }
}

/// An agent's status or capacity changed: for the supervisors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffChange {
    pub business_id: BusinessId,
    pub user_id: UserId,
    pub status: AgentStatus,
    pub capacity: u32,
    pub audience: Vec<UserId>,
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;
    use uuid::Uuid;

    use super::*;

    fn agent(n: u128, open: u32, capacity: u32, last: Option<OffsetDateTime>) -> AgentLoad {
        AgentLoad {
            user_id: UserId::from_uuid(Uuid::from_u128(n)),
            open,
            capacity,
            last_assigned_at: last,
        }
    }

    #[test]
    fn the_least_busy_agent_with_room_is_chosen() {
        let agents = [
            agent(1, 2, 5, None),
            agent(2, 1, 5, None),
            agent(3, 0, 0, None),
        ];
        assert_eq!(pick_agent(&agents), Some(agents[1].user_id));
    }

    #[test]
    fn ties_go_to_the_agent_idle_longest() {
        let early = Some(datetime!(2026-12-01 09:00 UTC));
        let late = Some(datetime!(2026-12-01 10:00 UTC));
        let agents = [agent(1, 1, 5, late), agent(2, 1, 5, early)];
        assert_eq!(pick_agent(&agents), Some(agents[1].user_id));
        let never = [agent(1, 1, 5, early), agent(2, 1, 5, None)];
        assert_eq!(pick_agent(&never), Some(never[1].user_id));
    }

    #[test]
    fn nobody_is_chosen_when_everyone_is_full() {
        assert_eq!(pick_agent(&[agent(1, 3, 3, None)]), None);
        assert_eq!(pick_agent(&[]), None);
    }

    #[test]
    fn a_resolved_case_cannot_be_resolved_or_handed_over() {
        let now = datetime!(2026-12-01 09:00 UTC);
        let mut case = Case::new(
            ConversationId::new(),
            BusinessId::new(),
            TeamId::new(),
            UserId::new(),
            now,
        );
        case.resolve(now).unwrap();
        assert_eq!(case.resolve(now), Err(BusinessError::NotOpen));
        assert_eq!(
            case.hand_to(UserId::new(), now),
            Err(BusinessError::Resolved)
        );
        case.requeue(case.team_id, now);
        assert_eq!(case.state, CaseState::Queued);
        assert_eq!(case.resolved_at, None);
    }
}
