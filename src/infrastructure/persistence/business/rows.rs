//! Rows to domain values and back.

use sea_orm::ActiveValue::Set;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::business::{
    AgentStatus, Business, BusinessId, Case, CaseState, Handle, Hours, Member, MemberRole, Opening,
    Routing, Team, TeamId,
};
use crate::domain::shared::{ConversationId, MessageId, RepoError, UserId};
use crate::infrastructure::persistence::corrupt;
use crate::infrastructure::persistence::entities::{
    business_cases, business_members, business_teams, businesses,
};

/// One opening of the weekly schedule, as stored.
#[derive(Serialize, Deserialize)]
struct OpeningRow {
    day: String,
    opens: String,
    closes: String,
}

fn hours_from(row: &businesses::Model) -> Result<Hours, RepoError> {
    let weekly: Vec<OpeningRow> =
        serde_json::from_str(&row.hours).map_err(|_| corrupt("schedule"))?;
    let holidays: Vec<String> =
        serde_json::from_str(&row.holidays).map_err(|_| corrupt("holidays"))?;
    let weekly = weekly
        .iter()
        .map(|o| Opening::parse(&o.day, &o.opens, &o.closes))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| corrupt("schedule"))?;
    Hours::new(&row.time_zone, weekly, &holidays).map_err(|_| corrupt("business hours"))
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

pub(super) fn business_from(row: businesses::Model) -> Result<Business, RepoError> {
    let hours = hours_from(&row)?;
    Ok(Business {
        id: BusinessId::from_uuid(row.id),
        handle: Handle::parse(&row.handle).map_err(|_| corrupt("handle"))?,
        name: row.name,
        description: row.description,
        show_agent_names: row.show_agent_names,
        hours,
        closed_reply: row.closed_reply,
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
        time_zone: Set(b.hours.time_zone().to_owned()),
        hours: Set(json(
            &b.hours
                .weekly()
                .iter()
                .map(|o| OpeningRow {
                    day: o.day_name().to_owned(),
                    opens: Opening::label(o.opens),
                    closes: Opening::label(o.closes),
                })
                .collect::<Vec<_>>(),
        )),
        holidays: Set(json(&b.hours.holidays())),
        closed_reply: Set(b.closed_reply.clone()),
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
        routing: Routing::parse(&row.routing).unwrap_or_default(),
        first_response_secs: row.first_response_secs.and_then(|s| u32::try_from(s).ok()),
        escalate_to: row.escalate_to.map(TeamId::from_uuid),
        created_at: row.created_at,
    }
}

pub(super) fn team_row(team: &Team) -> business_teams::ActiveModel {
    business_teams::ActiveModel {
        id: Set(team.id.as_uuid()),
        business_id: Set(team.business_id.as_uuid()),
        name: Set(team.name.clone()),
        routing: Set(team.routing.as_str().to_owned()),
        first_response_secs: Set(team
            .first_response_secs
            .map(|s| i32::try_from(s).unwrap_or(i32::MAX))),
        escalate_to: Set(team.escalate_to.map(|t| t.as_uuid())),
        created_at: Set(team.created_at),
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
        resolved_through: row.resolved_through,
        escalated_at: row.escalated_at,
        notice_id: row.notice_id.map(MessageId::from_uuid),
        told_position: row.told_position.and_then(|p| u64::try_from(p).ok()),
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
        resolved_through: Set(c.resolved_through),
        escalated_at: Set(c.escalated_at),
        notice_id: Set(c.notice_id.map(|m| m.as_uuid())),
        told_position: Set(c.told_position.and_then(|p| i64::try_from(p).ok())),
    }
}
