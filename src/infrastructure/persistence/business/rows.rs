//! Rows to domain values and back.

use sea_orm::ActiveValue::Set;
use uuid::Uuid;

use crate::domain::business::{
    AgentStatus, Business, BusinessId, Case, CaseState, Handle, Member, MemberRole, Team, TeamId,
};
use crate::domain::shared::{ConversationId, RepoError, UserId};
use crate::infrastructure::persistence::entities::{
    business_cases, business_members, business_teams, businesses,
};

fn corrupt(what: &str) -> RepoError {
    RepoError::Unexpected(anyhow::anyhow!("stored {what} is invalid"))
}

pub(super) fn business_from(row: businesses::Model) -> Result<Business, RepoError> {
    Ok(Business {
        id: BusinessId::from_uuid(row.id),
        handle: Handle::parse(&row.handle).map_err(|_| corrupt("handle"))?,
        name: row.name,
        description: row.description,
        show_agent_names: row.show_agent_names,
        created_by: UserId::from_uuid(row.created_by),
        created_at: row.created_at,
    })
}

pub(super) fn business_row(b: &Business) -> businesses::ActiveModel {
    businesses::ActiveModel {
        id: Set(b.id.as_uuid()),
        handle: Set(b.handle.as_str().to_owned()),
        name: Set(b.name.clone()),
        description: Set(b.description.clone()),
        show_agent_names: Set(b.show_agent_names),
        created_by: Set(b.created_by.as_uuid()),
        created_at: Set(b.created_at),
    }
}

pub(super) fn member_from(row: business_members::Model) -> Result<Member, RepoError> {
    Ok(Member {
        business_id: BusinessId::from_uuid(row.business_id),
        user_id: UserId::from_uuid(row.user_id),
        role: MemberRole::parse(&row.role).ok_or_else(|| corrupt("member role"))?,
        status: AgentStatus::parse(&row.status).ok_or_else(|| corrupt("agent status"))?,
        capacity: u32::try_from(row.capacity).map_err(|_| corrupt("capacity"))?,
        last_assigned_at: row.last_assigned_at,
    })
}

pub(super) fn member_row(m: &Member) -> business_members::ActiveModel {
    business_members::ActiveModel {
        business_id: Set(m.business_id.as_uuid()),
        user_id: Set(m.user_id.as_uuid()),
        role: Set(m.role.as_str().to_owned()),
        status: Set(m.status.as_str().to_owned()),
        capacity: Set(i32::try_from(m.capacity).unwrap_or(i32::MAX)),
        last_assigned_at: Set(m.last_assigned_at),
    }
}

pub(super) fn team_from(row: business_teams::Model, agents: Vec<Uuid>) -> Team {
    Team {
        id: TeamId::from_uuid(row.id),
        business_id: BusinessId::from_uuid(row.business_id),
        name: row.name,
        agents: agents.into_iter().map(UserId::from_uuid).collect(),
        created_at: row.created_at,
    }
}

pub(super) fn case_from(row: business_cases::Model) -> Result<Case, RepoError> {
    Ok(Case {
        conversation_id: ConversationId::from_uuid(row.conversation_id),
        business_id: BusinessId::from_uuid(row.business_id),
        team_id: TeamId::from_uuid(row.team_id),
        customer_id: UserId::from_uuid(row.customer_id),
        agent_id: row.agent_id.map(UserId::from_uuid),
        state: CaseState::parse(&row.state).ok_or_else(|| corrupt("case state"))?,
        priority: row.priority,
        queued_at: row.queued_at,
        assigned_at: row.assigned_at,
        first_response_at: row.first_response_at,
        resolved_at: row.resolved_at,
    })
}

pub(super) fn case_row(c: &Case) -> business_cases::ActiveModel {
    business_cases::ActiveModel {
        conversation_id: Set(c.conversation_id.as_uuid()),
        business_id: Set(c.business_id.as_uuid()),
        team_id: Set(c.team_id.as_uuid()),
        customer_id: Set(c.customer_id.as_uuid()),
        agent_id: Set(c.agent_id.map(|a| a.as_uuid())),
        state: Set(c.state.as_str().to_owned()),
        priority: Set(c.priority),
        queued_at: Set(c.queued_at),
        assigned_at: Set(c.assigned_at),
        first_response_at: Set(c.first_response_at),
        resolved_at: Set(c.resolved_at),
    }
}
