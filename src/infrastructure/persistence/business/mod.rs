//! Businesses, their staff and teams (here), the cases routed to agents (`cases.rs`), and
//! which profiles customers may not see (`hidden.rs`).

mod case_queries;
mod cases;
mod hidden;
mod queue;
mod rows;

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::db::Db;
use super::entities::{business_members, business_team_agents, business_teams, businesses};
use super::outbox::{self, OutboxSignal};
use super::{repo_error, row_by_id, statement, unexpected};
use crate::domain::business::{Business, BusinessId, BusinessRepository, Member, Team, TeamId};
use crate::domain::shared::{DomainEvent, RepoError, UserId};
use rows::{business_from, business_row, member_from, member_row, team_from, team_row};

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
        let row = row_by_id::<businesses::Entity>(&self.db, id.as_uuid()).await?;
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
        let row =
            row_by_id::<business_members::Entity>(&self.db, (id.as_uuid(), user.as_uuid())).await?;
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
        let exists = row_by_id::<business_teams::Entity>(&txn, team.id.as_uuid())
            .await?
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
