//! Businesses, their staff and teams, and the cases routed to agents.

mod cases;
mod rows;

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::conversations::{conversation_row, participant_row};
use super::db::Db;
use super::entities::{
    business_cases, business_members, business_team_agents, business_teams, businesses,
    participants,
};
use super::outbox::{self, OutboxSignal};
use super::{repo_error, statement, unexpected};
use crate::application::ports::HiddenProfiles;
use crate::domain::business::{
    Announce, Business, BusinessId, BusinessRepository, Case, CaseFilter, CaseState, Member,
    Routing, Team, TeamId,
};
use crate::domain::conversations::{Conversation, Participant};
use crate::domain::shared::{ConversationId, DomainEvent, MessageId, RepoError, UserId};
use rows::{
    business_from, business_row, case_from, case_row, member_from, member_row, team_from, team_row,
};

pub struct SeaOrmBusinessRepository {
    db: Db,
    signal: OutboxSignal,
}

impl SeaOrmBusinessRepository {
    pub fn new(db: Db, signal: OutboxSignal) -> Self {
        Self { db, signal }
    }
}

/// Takes the business's routing lock for the rest of `txn`: assignments and availability
/// changes of one business happen one at a time, across instances. SQLite needs none: its
/// single writer runs one transaction at a time.
async fn lock_routing(txn: &DatabaseTransaction, business: BusinessId) -> Result<(), RepoError> {
    if txn.get_database_backend() == DbBackend::Postgres {
        let sql = "SELECT id FROM businesses WHERE id = ? FOR UPDATE";
        txn.query_one_raw(statement(txn, sql, vec![business.as_uuid().into()]))
            .await
            .map_err(unexpected)?;
    }
    Ok(())
}

async fn replace_agents(
    txn: &DatabaseTransaction,
    team: TeamId,
    agents: &[UserId],
) -> Result<(), RepoError> {
    business_team_agents::Entity::delete_many()
        .filter(business_team_agents::Column::TeamId.eq(team.as_uuid()))
        .exec(txn)
        .await
        .map_err(unexpected)?;
    if !agents.is_empty() {
        let rows = agents.iter().map(|a| business_team_agents::ActiveModel {
            team_id: sea_orm::ActiveValue::Set(team.as_uuid()),
            user_id: sea_orm::ActiveValue::Set(a.as_uuid()),
        });
        business_team_agents::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await
            .map_err(unexpected)?;
    }
    Ok(())
}

#[async_trait]
impl BusinessRepository for SeaOrmBusinessRepository {
    async fn create(
        &self,
        business: &Business,
        owner: &Member,
        team: &Team,
    ) -> Result<(), RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        businesses::Entity::insert(business_row(business))
            .exec_without_returning(&txn)
            .await
            .map_err(|e| repo_error(e, &["handle"]))?;
        business_members::Entity::insert(member_row(owner))
            .exec_without_returning(&txn)
            .await
            .map_err(unexpected)?;
        self.insert_team(&txn, team).await?;
        outbox::commit_with(txn, &[], &self.signal).await
    }

    async fn find(&self, id: BusinessId) -> Result<Option<Business>, RepoError> {
        let row = businesses::Entity::find_by_id(id.as_uuid())
            .one(&self.db)
            .await
            .map_err(unexpected)?;
        row.map(business_from).transpose()
    }

    async fn search(&self, query: &str, limit: u64) -> Result<Vec<Business>, RepoError> {
        let escaped: String = query
            .to_lowercase()
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let pattern = format!("%{escaped}%");
        let sql = "SELECT * FROM businesses WHERE handle LIKE ? ESCAPE '\\' \
                   OR LOWER(name) LIKE ? ESCAPE '\\' ORDER BY handle LIMIT ?";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = businesses::Entity::find()
            .from_raw_sql(statement(
                &self.db,
                sql,
                vec![pattern.clone().into(), pattern.into(), limit.into()],
            ))
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        rows.into_iter().map(business_from).collect()
    }

    async fn update(&self, business: &Business) -> Result<(), RepoError> {
        businesses::Entity::update(business_row(business))
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn member(&self, id: BusinessId, user: UserId) -> Result<Option<Member>, RepoError> {
        let row = business_members::Entity::find_by_id((id.as_uuid(), user.as_uuid()))
            .one(&self.db)
            .await
            .map_err(unexpected)?;
        row.map(member_from).transpose()
    }

    async fn members(&self, id: BusinessId) -> Result<Vec<Member>, RepoError> {
        let rows = business_members::Entity::find()
            .filter(business_members::Column::BusinessId.eq(id.as_uuid()))
            .order_by_asc(business_members::Column::UserId)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        rows.into_iter().map(member_from).collect()
    }

    async fn memberships(&self, user: UserId) -> Result<Vec<Member>, RepoError> {
        let rows = business_members::Entity::find()
            .filter(business_members::Column::UserId.eq(user.as_uuid()))
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        rows.into_iter().map(member_from).collect()
    }

    async fn put_member(&self, member: &Member) -> Result<(), RepoError> {
        business_members::Entity::insert(member_row(member))
            .on_conflict(
                OnConflict::columns([
                    business_members::Column::BusinessId,
                    business_members::Column::UserId,
                ])
                .update_column(business_members::Column::Role)
                .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn set_availability(
        &self,
        member: &Member,
        announce: &[DomainEvent],
    ) -> Result<(), RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        lock_routing(&txn, member.business_id).await?;
        business_members::Entity::update(member_row(member))
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        outbox::commit_with(txn, announce, &self.signal).await
    }

    async fn teams(&self, id: BusinessId) -> Result<Vec<Team>, RepoError> {
        let rows = business_teams::Entity::find()
            .filter(business_teams::Column::BusinessId.eq(id.as_uuid()))
            .order_by_asc(business_teams::Column::CreatedAt)
            .order_by_asc(business_teams::Column::Id)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        let ids: Vec<Uuid> = rows.iter().map(|t| t.id).collect();
        let agents: Vec<(Uuid, Uuid)> = business_team_agents::Entity::find()
            .select_only()
            .columns([
                business_team_agents::Column::TeamId,
                business_team_agents::Column::UserId,
            ])
            .filter(business_team_agents::Column::TeamId.is_in(ids))
            .order_by_asc(business_team_agents::Column::UserId)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let of_team = agents.iter().filter(|(t, _)| *t == row.id);
                let team_agents = of_team.map(|(_, user)| *user).collect();
                team_from(row, team_agents)
            })
            .collect())
    }

    async fn put_team(&self, team: &Team) -> Result<(), RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        let exists = business_teams::Entity::find_by_id(team.id.as_uuid())
            .one(&txn)
            .await
            .map_err(unexpected)?
            .is_some();
        if exists {
            let mut row = team_row(team);
            row.id = sea_orm::ActiveValue::Unchanged(team.id.as_uuid());
            row.business_id = sea_orm::ActiveValue::NotSet;
            row.created_at = sea_orm::ActiveValue::NotSet;
            business_teams::Entity::update(row)
                .exec(&txn)
                .await
                .map_err(|e| repo_error(e, &["name"]))?;
            replace_agents(&txn, team.id, &team.agents).await?;
        } else {
            self.insert_team(&txn, team).await?;
        }
        outbox::commit_with(txn, &[], &self.signal).await
    }

    async fn open_case(
        &self,
        conversation: &Conversation,
        customer: &Participant,
        case: &Case,
        announce: &[DomainEvent],
    ) -> Result<(), RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        super::entities::conversations::Entity::insert(conversation_row(conversation, None))
            .exec_without_returning(&txn)
            .await
            .map_err(unexpected)?;
        participants::Entity::insert(participant_row(conversation.id, customer))
            .exec_without_returning(&txn)
            .await
            .map_err(unexpected)?;
        business_cases::Entity::insert(case_row(case))
            .exec_without_returning(&txn)
            .await
            .map_err(|e| repo_error(e, &["customer"]))?;
        outbox::commit_with(txn, announce, &self.signal).await
    }

    async fn case(&self, conversation: ConversationId) -> Result<Option<Case>, RepoError> {
        let row = business_cases::Entity::find_by_id(conversation.as_uuid())
            .one(&self.db)
            .await
            .map_err(unexpected)?;
        row.map(case_from).transpose()
    }

    async fn case_of_customer(
        &self,
        business: BusinessId,
        customer: UserId,
    ) -> Result<Option<Case>, RepoError> {
        let row = business_cases::Entity::find()
            .filter(business_cases::Column::BusinessId.eq(business.as_uuid()))
            .filter(business_cases::Column::CustomerId.eq(customer.as_uuid()))
            .one(&self.db)
            .await
            .map_err(unexpected)?;
        row.map(case_from).transpose()
    }

    async fn save_case(
        &self,
        case: &Case,
        was: &Case,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        if !cases::replace(&txn, case, was).await? {
            return Ok(false);
        }
        outbox::commit_with(txn, announce, &self.signal).await?;
        Ok(true)
    }

    async fn assign_queue(
        &self,
        business: BusinessId,
        team: TeamId,
        now: OffsetDateTime,
        most: usize,
        announce: Announce<'_>,
    ) -> Result<Vec<Case>, RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        lock_routing(&txn, business).await?;
        let routing = business_teams::Entity::find_by_id(team.as_uuid())
            .one(&txn)
            .await
            .map_err(unexpected)?
            .and_then(|t| Routing::parse(&t.routing))
            .unwrap_or_default();
        let mut assigned = Vec::new();
        let mut events = Vec::new();
        while assigned.len() < most {
            let Some(case) = cases::assign_head(&txn, business, team, routing, now).await? else {
                break;
            };
            events.extend(announce(&case));
            assigned.push(case);
        }
        if assigned.is_empty() {
            return Ok(assigned);
        }
        outbox::commit_with(txn, &events, &self.signal).await?;
        Ok(assigned)
    }

    async fn cases(
        &self,
        business: BusinessId,
        filter: CaseFilter,
    ) -> Result<Vec<Case>, RepoError> {
        cases::list(&self.db, business, filter).await
    }

    async fn count(&self, business: BusinessId, state: CaseState) -> Result<u64, RepoError> {
        business_cases::Entity::find()
            .filter(business_cases::Column::BusinessId.eq(business.as_uuid()))
            .filter(business_cases::Column::State.eq(state.as_str()))
            .count(&self.db)
            .await
            .map_err(unexpected)
    }

    async fn note_first_response(
        &self,
        conversation: ConversationId,
        agent: UserId,
        at: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        let updated = business_cases::Entity::update_many()
            .col_expr(business_cases::Column::FirstResponseAt, Expr::value(at))
            .filter(business_cases::Column::ConversationId.eq(conversation.as_uuid()))
            .filter(business_cases::Column::AgentId.eq(agent.as_uuid()))
            .filter(business_cases::Column::State.eq(CaseState::Assigned.as_str()))
            .filter(business_cases::Column::FirstResponseAt.is_null())
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(updated.rows_affected == 1)
    }

    async fn position(&self, case: &Case) -> Result<u64, RepoError> {
        cases::position(&self.db, case).await
    }

    async fn assigned_since(&self, team: TeamId, since: OffsetDateTime) -> Result<u64, RepoError> {
        business_cases::Entity::find()
            .filter(business_cases::Column::TeamId.eq(team.as_uuid()))
            .filter(business_cases::Column::AssignedAt.gte(since))
            .count(&self.db)
            .await
            .map_err(unexpected)
    }

    async fn queued_teams(&self) -> Result<Vec<(BusinessId, TeamId)>, RepoError> {
        let rows: Vec<(Uuid, Uuid)> = business_cases::Entity::find()
            .select_only()
            .columns([
                business_cases::Column::BusinessId,
                business_cases::Column::TeamId,
            ])
            .filter(business_cases::Column::State.eq(CaseState::Queued.as_str()))
            .distinct()
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .map(|(b, t)| (BusinessId::from_uuid(b), TeamId::from_uuid(t)))
            .collect())
    }

    async fn awaiting_reply(&self, limit: u64) -> Result<Vec<Case>, RepoError> {
        cases::awaiting_reply(&self.db, limit).await
    }

    async fn claim_notice(
        &self,
        conversation: ConversationId,
        was: Option<u64>,
        place: u64,
    ) -> Result<bool, RepoError> {
        let new_place = place;
        let place = |p: u64| i64::try_from(p).unwrap_or(i64::MAX);
        let told = business_cases::Column::ToldPosition;
        let updated = business_cases::Entity::update_many()
            .col_expr(told, Expr::value(place(new_place)))
            .filter(business_cases::Column::ConversationId.eq(conversation.as_uuid()))
            .filter(business_cases::Column::State.eq(CaseState::Queued.as_str()))
            .filter(match was {
                Some(was) => told.eq(place(was)),
                None => told.is_null(),
            })
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(updated.rows_affected == 1)
    }

    async fn note_notice(
        &self,
        conversation: ConversationId,
        notice: MessageId,
    ) -> Result<(), RepoError> {
        business_cases::Entity::update_many()
            .col_expr(
                business_cases::Column::NoticeId,
                Expr::value(notice.as_uuid()),
            )
            .filter(business_cases::Column::ConversationId.eq(conversation.as_uuid()))
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(())
    }
}

impl SeaOrmBusinessRepository {
    async fn insert_team(&self, txn: &DatabaseTransaction, team: &Team) -> Result<(), RepoError> {
        business_teams::Entity::insert(team_row(team))
            .exec_without_returning(txn)
            .await
            .map_err(|e| repo_error(e, &["name"]))?;
        replace_agents(txn, team.id, &team.agents).await
    }
}

#[derive(sea_orm::FromQueryResult)]
struct HiddenRow {
    user_id: Uuid,
}

#[async_trait]
impl HiddenProfiles for SeaOrmBusinessRepository {
    /// On the staff of a business that hides agents' names and that `viewer` is a customer
    /// of: indexed look-ups from the viewer's cases (most users have none).
    async fn hidden_among(
        &self,
        viewer: UserId,
        users: &[UserId],
    ) -> Result<Vec<UserId>, RepoError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let places = vec!["?"; users.len()].join(", ");
        let sql = format!(
            "SELECT DISTINCT m.user_id FROM business_cases c \
             JOIN businesses b ON b.id = c.business_id AND NOT b.show_agent_names \
             JOIN business_members m ON m.business_id = c.business_id \
             WHERE c.customer_id = ? AND m.user_id IN ({places})"
        );
        let mut values = vec![viewer.as_uuid().into()];
        values.extend(users.iter().map(|u| u.as_uuid().into()));
        let rows = <HiddenRow as sea_orm::FromQueryResult>::find_by_statement(statement(
            &self.db, &sql, values,
        ))
        .all(&self.db)
        .await
        .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .map(|r| UserId::from_uuid(r.user_id))
            .collect())
    }
}
