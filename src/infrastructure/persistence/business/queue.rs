//! Cases' statements: the compare-and-set every change goes through, routing's one assignment,
//! queue order and positions.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::rows::{case_from, case_row};
use crate::domain::business::{
    AgentLoad, BusinessId, Case, CaseFilter, CaseState, Routing, TeamId, pick_agent,
};
use crate::domain::conversations::{Participant, Role};
use crate::domain::shared::{RepoError, UserId};
use crate::infrastructure::persistence::conversations::{already_a_member, participant_row};
use crate::infrastructure::persistence::entities::{
    business_cases, business_members, business_teams, participants,
};
use crate::infrastructure::persistence::{statement, unexpected};

fn agent_is(agent: Option<UserId>) -> Condition {
    match agent {
        Some(agent) => Condition::all().add(business_cases::Column::AgentId.eq(agent.as_uuid())),
        None => Condition::all().add(business_cases::Column::AgentId.is_null()),
    }
}

/// Stores `case` if its row is still as `was` (state and agent), and moves the conversation's
/// agent with it. `false`, changing nothing, when another change came first.
pub(super) async fn replace(
    txn: &DatabaseTransaction,
    case: &Case,
    was: &Case,
) -> Result<bool, RepoError> {
    let updated = business_cases::Entity::update_many()
        .set(case_row(case))
        .filter(business_cases::Column::ConversationId.eq(case.conversation_id.as_uuid()))
        .filter(business_cases::Column::State.eq(was.state.as_str()))
        .filter(agent_is(was.agent_id))
        // An escalation is made once, whichever instance's clock sees it first.
        .filter(match was.escalated_at {
            Some(_) => business_cases::Column::EscalatedAt.is_not_null(),
            None => business_cases::Column::EscalatedAt.is_null(),
        })
        .exec(txn)
        .await
        .map_err(unexpected)?;
    if updated.rows_affected != 1 {
        return Ok(false);
    }
    if was.agent_id == case.agent_id {
        return Ok(true);
    }
    if let Some(previous) = was.agent_id {
        participants::Entity::delete_many()
            .filter(participants::Column::ConversationId.eq(case.conversation_id.as_uuid()))
            .filter(participants::Column::UserId.eq(previous.as_uuid()))
            .exec(txn)
            .await
            .map_err(unexpected)?;
    }
    if let (Some(agent), Some(at)) = (case.agent_id, case.assigned_at) {
        let joined = Participant::new(agent, Role::Member, at);
        participants::Entity::insert(participant_row(case.conversation_id, &joined))
            .on_conflict(already_a_member())
            .exec_without_returning(txn)
            .await
            .map(|_| ())
            .or_else(|e| match e {
                sea_orm::DbErr::RecordNotInserted => Ok(()),
                e => Err(unexpected(e)),
            })?;
        business_members::Entity::update_many()
            .col_expr(business_members::Column::LastAssignedAt, Expr::value(at))
            .filter(business_members::Column::BusinessId.eq(case.business_id.as_uuid()))
            .filter(business_members::Column::UserId.eq(agent.as_uuid()))
            .exec(txn)
            .await
            .map_err(unexpected)?;
    }
    Ok(true)
}

#[derive(FromQueryResult)]
struct LoadRow {
    user_id: Uuid,
    capacity: i32,
    last_assigned_at: Option<OffsetDateTime>,
    open: i64,
}

/// The available agents of `team` and their open cases.
async fn loads(
    txn: &DatabaseTransaction,
    business: BusinessId,
    team: TeamId,
) -> Result<Vec<AgentLoad>, RepoError> {
    let sql = "SELECT m.user_id, m.capacity, m.last_assigned_at, \
               (SELECT COUNT(*) FROM business_cases c WHERE c.agent_id = m.user_id \
                AND c.business_id = m.business_id AND c.state = 'assigned') AS open \
               FROM business_team_agents t \
               JOIN business_members m ON m.user_id = t.user_id AND m.business_id = ? \
               WHERE t.team_id = ? AND m.status = 'available'";
    let values = vec![business.as_uuid().into(), team.as_uuid().into()];
    let rows = LoadRow::find_by_statement(statement(txn, sql, values))
        .all(txn)
        .await
        .map_err(unexpected)?;
    Ok(rows
        .into_iter()
        .map(|r| AgentLoad {
            user_id: UserId::from_uuid(r.user_id),
            open: u32::try_from(r.open).unwrap_or(u32::MAX),
            capacity: u32::try_from(r.capacity).unwrap_or(0),
            last_assigned_at: r.last_assigned_at,
        })
        .collect())
}

/// Gives the head of `team`'s queue to the agent routing picks, inside the caller's routing
/// lock; `None` when the queue is empty or nobody has room.
pub(super) async fn assign_head(
    txn: &DatabaseTransaction,
    business: BusinessId,
    team: TeamId,
    routing: Routing,
    now: OffsetDateTime,
) -> Result<Option<Case>, RepoError> {
    // A head resolved meanwhile (that change takes no lock) is passed over.
    for _ in 0..8 {
        let head = business_cases::Entity::find()
            .filter(business_cases::Column::TeamId.eq(team.as_uuid()))
            .filter(business_cases::Column::State.eq(CaseState::Queued.as_str()))
            .order_by_desc(business_cases::Column::Priority)
            .order_by_asc(business_cases::Column::QueuedAt)
            .order_by_asc(business_cases::Column::ConversationId)
            .one(txn)
            .await
            .map_err(unexpected)?;
        let Some(head) = head.map(case_from).transpose()? else {
            return Ok(None);
        };
        let Some(agent) = pick_agent(&loads(txn, business, team).await?, routing) else {
            return Ok(None);
        };
        let mut assigned = head.clone();
        if assigned.hand_to(agent, now).is_err() {
            continue;
        }
        if replace(txn, &assigned, &head).await? {
            return Ok(Some(assigned));
        }
    }
    Ok(None)
}

pub(super) async fn list(
    db: &impl ConnectionTrait,
    business: BusinessId,
    filter: CaseFilter,
) -> Result<Vec<Case>, RepoError> {
    let mut query = business_cases::Entity::find()
        .filter(business_cases::Column::BusinessId.eq(business.as_uuid()));
    if let Some(team) = filter.team {
        query = query.filter(business_cases::Column::TeamId.eq(team.as_uuid()));
    }
    if let Some(agent) = filter.agent {
        query = query.filter(business_cases::Column::AgentId.eq(agent.as_uuid()));
    }
    if let Some(since) = filter.since {
        query = query.filter(business_cases::Column::QueuedAt.gte(since));
    }
    if !filter.states.is_empty() {
        let states = filter.states.iter().map(|s| s.as_str());
        query = query.filter(business_cases::Column::State.is_in(states));
    }
    let rows = query
        .order_by_desc(business_cases::Column::Priority)
        .order_by_asc(business_cases::Column::QueuedAt)
        .order_by_asc(business_cases::Column::ConversationId)
        .limit(filter.limit)
        .all(db)
        .await
        .map_err(unexpected)?;
    rows.into_iter().map(case_from).collect()
}

/// How many queued cases of its team come before `case`, plus one.
pub(super) async fn position(db: &impl ConnectionTrait, case: &Case) -> Result<u64, RepoError> {
    let id = case.conversation_id.as_uuid();
    let ahead = Condition::any()
        .add(business_cases::Column::Priority.gt(case.priority))
        .add(
            Condition::all()
                .add(business_cases::Column::Priority.eq(case.priority))
                .add(
                    Condition::any()
                        .add(business_cases::Column::QueuedAt.lt(case.queued_at))
                        .add(
                            Condition::all()
                                .add(business_cases::Column::QueuedAt.eq(case.queued_at))
                                .add(business_cases::Column::ConversationId.lt(id)),
                        ),
                ),
        );
    let count = business_cases::Entity::find()
        .filter(business_cases::Column::TeamId.eq(case.team_id.as_uuid()))
        .filter(business_cases::Column::State.eq(CaseState::Queued.as_str()))
        .filter(ahead)
        .count(db)
        .await
        .map_err(unexpected)?;
    Ok(count + 1)
}

/// Open cases not answered nor escalated yet, in teams with a first-response time.
pub(super) async fn awaiting_reply(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<Case>, RepoError> {
    let timed = business_teams::Entity::find()
        .select_only()
        .column(business_teams::Column::Id)
        .filter(business_teams::Column::FirstResponseSecs.is_not_null())
        .into_query();
    let rows = business_cases::Entity::find()
        .filter(business_cases::Column::TeamId.in_subquery(timed))
        .filter(business_cases::Column::State.ne(CaseState::Resolved.as_str()))
        .filter(business_cases::Column::FirstResponseAt.is_null())
        .filter(business_cases::Column::EscalatedAt.is_null())
        .order_by_asc(business_cases::Column::QueuedAt)
        .limit(limit)
        .all(db)
        .await
        .map_err(unexpected)?;
    rows.into_iter().map(case_from).collect()
}
