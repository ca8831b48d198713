use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{AgentStatus, BusinessError, BusinessId, Routing, Team, TeamId};
use crate::domain::shared::{ConversationId, MessageId, UserId};

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
    /// The conversation's last seq when it was resolved: the customer's messages up to it are
    /// answered by that resolution, so only a later one reopens the case, however often an
    /// event is handled again.
    pub resolved_through: Option<i64>,
    /// When it waited too long for a first reply (once per opening).
    pub escalated_at: Option<OffsetDateTime>,
    /// The system message telling the customer their place in the queue, and the place it
    /// says: edited as the queue moves.
    pub notice_id: Option<MessageId>,
    pub told_position: Option<u64>,
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
            resolved_through: None,
            escalated_at: None,
            notice_id: None,
            told_position: None,
        }
    }

    /// The customer came back to a resolved case: a new opening, at normal priority.
    pub fn reopen(&mut self, team: TeamId, now: OffsetDateTime) {
        self.requeue(team, now);
        self.priority = 0;
        self.escalated_at = None;
    }

    /// Whether `team`'s first-response time has passed with no reply from an agent.
    pub fn is_overdue(&self, team: &Team, now: OffsetDateTime) -> bool {
        let Some(limit) = team.first_response_secs else {
            return false;
        };
        self.state != CaseState::Resolved
            && self.first_response_at.is_none()
            && self.escalated_at.is_none()
            && now - self.queued_at >= time::Duration::seconds(i64::from(limit))
    }

    /// Raises its priority, and moves it to the end of `to`'s queue when the team says so
    /// (its place in `to` is by priority first, so it still goes ahead of normal work).
    pub fn escalate(&mut self, to: Option<TeamId>, now: OffsetDateTime) {
        if let Some(team) = to {
            self.requeue(team, now);
        }
        self.priority += 1;
        self.escalated_at = Some(now);
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
        self.resolved_through = None;
        self.notice_id = None;
        self.told_position = None;
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

    /// Resolves it, answering every message up to `last_seq` (the conversation's newest).
    pub fn resolve(&mut self, now: OffsetDateTime, last_seq: i64) -> Result<(), BusinessError> {
        if self.state == CaseState::Resolved {
            return Err(BusinessError::NotOpen);
        }
        self.state = CaseState::Resolved;
        self.resolved_at = Some(now);
        self.resolved_through = Some(last_seq);
        Ok(())
    }

    /// Whether the message `seq` from `sender` reopens it: the customer wrote after it was
    /// resolved. A case resolved before the seq was kept is reopened by any of theirs.
    pub fn reopened_by(&self, sender: UserId, seq: i64) -> bool {
        self.state == CaseState::Resolved
            && sender == self.customer_id
            && self.resolved_through.is_none_or(|through| seq > through)
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

/// The agent the next case goes to, among those with room: the least busy, ties to the one
/// idle longest; or in turn, the one assigned longest ago. Never assigned counts as longest,
/// and the id breaks ties, so that the choice is stable.
pub fn pick_agent(agents: &[AgentLoad], routing: Routing) -> Option<UserId> {
    let free = agents.iter().filter(|a| a.open < a.capacity);
    match routing {
        Routing::LeastBusy => free.min_by_key(|a| (a.open, a.last_assigned_at, a.user_id)),
        Routing::RoundRobin => free.min_by_key(|a| (a.last_assigned_at, a.user_id)),
    }
    .map(|a| a.user_id)
}

/// A case as its customer, agents and supervisors hear of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSummary {
    pub conversation_id: ConversationId,
    pub business_id: BusinessId,
    pub team_id: TeamId,
    pub state: CaseState,
    pub agent_id: Option<UserId>,
    pub priority: i32,
    /// It waited past its team's first-response time.
    pub escalated: bool,
}

/// A case changed: for its customer, its agents (new and previous) and the supervisors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseChange {
    #[serde(flatten)]
    pub case: CaseSummary,
    pub audience: Vec<UserId>,
}

impl CaseChange {
    pub fn of(case: &Case, mut audience: Vec<UserId>) -> Self {
        audience.push(case.customer_id);
        audience.extend(case.agent_id);
        audience.sort();
        audience.dedup();
        let case = CaseSummary {
            conversation_id: case.conversation_id,
            business_id: case.business_id,
            team_id: case.team_id,
            state: case.state,
            agent_id: case.agent_id,
            priority: case.priority,
            escalated: case.escalated_at.is_some(),
        };
        Self { case, audience }
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
        assert_eq!(
            pick_agent(&agents, Routing::LeastBusy),
            Some(agents[1].user_id)
        );
    }

    #[test]
    fn ties_go_to_the_agent_idle_longest() {
        let early = Some(datetime!(2026-12-01 09:00 UTC));
        let late = Some(datetime!(2026-12-01 10:00 UTC));
        let agents = [agent(1, 1, 5, late), agent(2, 1, 5, early)];
        assert_eq!(
            pick_agent(&agents, Routing::LeastBusy),
            Some(agents[1].user_id)
        );
        let never = [agent(1, 1, 5, early), agent(2, 1, 5, None)];
        assert_eq!(
            pick_agent(&never, Routing::LeastBusy),
            Some(never[1].user_id)
        );
    }

    #[test]
    fn round_robin_takes_turns_whatever_the_load() {
        let early = Some(datetime!(2026-12-01 09:00 UTC));
        let late = Some(datetime!(2026-12-01 10:00 UTC));
        let agents = [
            agent(1, 0, 5, late),
            agent(2, 3, 5, early),
            agent(3, 5, 5, None),
        ];
        assert_eq!(
            pick_agent(&agents, Routing::RoundRobin),
            Some(agents[1].user_id)
        );
        assert_eq!(
            pick_agent(&agents, Routing::LeastBusy),
            Some(agents[0].user_id)
        );
    }

    #[test]
    fn a_case_is_overdue_once_without_a_first_reply() {
        let at = datetime!(2026-12-01 09:00 UTC);
        let mut team = Team {
            id: TeamId::new(),
            business_id: BusinessId::new(),
            name: "Support".into(),
            agents: Vec::new(),
            routing: Routing::LeastBusy,
            first_response_secs: Some(300),
            escalate_to: None,
            created_at: at,
        };
        let mut case = Case::new(
            ConversationId::new(),
            team.business_id,
            team.id,
            UserId::new(),
            at,
        );
        let later = at + time::Duration::minutes(5);
        assert!(!case.is_overdue(&team, at + time::Duration::minutes(4)));
        assert!(case.is_overdue(&team, later));
        let elsewhere = TeamId::new();
        case.escalate(Some(elsewhere), later);
        assert_eq!((case.team_id, case.priority), (elsewhere, 1));
        assert!(!case.is_overdue(&team, later + time::Duration::hours(1)));
        case.reopen(team.id, later);
        assert_eq!((case.priority, case.escalated_at), (0, None));
        team.first_response_secs = None;
        assert!(!case.is_overdue(&team, later + time::Duration::hours(1)));
    }

    #[test]
    fn nobody_is_chosen_when_everyone_is_full() {
        assert_eq!(
            pick_agent(&[agent(1, 3, 3, None)], Routing::RoundRobin),
            None
        );
        assert_eq!(pick_agent(&[], Routing::LeastBusy), None);
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
        case.resolve(now, 7).unwrap();
        assert_eq!(case.resolve(now, 8), Err(BusinessError::NotOpen));
        assert_eq!(
            case.hand_to(UserId::new(), now),
            Err(BusinessError::Resolved)
        );
        case.requeue(case.team_id, now);
        assert_eq!(case.state, CaseState::Queued);
        assert_eq!(case.resolved_at, None);
        assert_eq!(case.resolved_through, None);
    }

    #[test]
    fn only_the_customer_writing_after_the_resolution_reopens_a_case() {
        let now = datetime!(2026-12-01 09:00 UTC);
        let customer = UserId::new();
        let mut case = Case::new(
            ConversationId::new(),
            BusinessId::new(),
            TeamId::new(),
            customer,
            now,
        );
        assert!(!case.reopened_by(customer, 3), "an open case");
        case.resolve(now, 5).unwrap();
        assert!(!case.reopened_by(customer, 4), "answered by the resolution");
        assert!(!case.reopened_by(customer, 5), "answered by the resolution");
        assert!(!case.reopened_by(UserId::new(), 6), "not the customer");
        assert!(case.reopened_by(customer, 6));
        case.resolved_through = None;
        assert!(
            case.reopened_by(customer, 1),
            "resolved before seqs were kept"
        );
    }
}
