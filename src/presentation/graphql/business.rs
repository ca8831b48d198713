//! Business chat as the socket's events show it: cases and agents.

use async_graphql::{Enum, SimpleObject};
use uuid::Uuid;

use crate::domain::business::CaseSummary;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::business::CaseState")]
pub enum CaseState {
    /// Waiting in its team's queue.
    Queued,
    /// An agent has it.
    Assigned,
    /// Done; the customer coming back reopens it.
    Resolved,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::business::AgentStatus")]
pub enum AgentStatus {
    Available,
    Away,
    Offline,
}

/// A business case was opened, assigned, transferred, resolved or reopened.
#[derive(SimpleObject)]
pub struct CaseUpdated {
    conversation_id: Uuid,
    business_id: Uuid,
    team_id: Uuid,
    state: CaseState,
    agent_id: Option<Uuid>,
    priority: i32,
    /// It waited past its team's first-response time.
    escalated: bool,
}

impl From<CaseSummary> for CaseUpdated {
    fn from(frame: CaseSummary) -> Self {
        Self {
            conversation_id: frame.conversation_id.as_uuid(),
            business_id: frame.business_id.as_uuid(),
            team_id: frame.team_id.as_uuid(),
            state: frame.state.into(),
            agent_id: frame.agent_id.map(|a| a.as_uuid()),
            priority: frame.priority,
            escalated: frame.escalated,
        }
    }
}

/// An agent of a business the viewer supervises changed status or capacity.
#[derive(SimpleObject)]
pub struct AgentUpdated {
    pub business_id: Uuid,
    pub user_id: Uuid,
    pub status: AgentStatus,
    pub capacity: u32,
}
