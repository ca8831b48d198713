//! Case lists, counts and queue places.

use async_trait::async_trait;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{SeaOrmBusinessRepository, queue};
use crate::domain::business::{BusinessId, Case, CaseFilter, CaseQueries, CaseState, TeamId};
use crate::domain::shared::RepoError;
use crate::infrastructure::persistence::entities::business_cases;
use crate::infrastructure::persistence::unexpected;

#[async_trait]
impl CaseQueries for SeaOrmBusinessRepository {
    async fn cases(
        &self,
        business: BusinessId,
        filter: CaseFilter,
    ) -> Result<Vec<Case>, RepoError> {
        queue::list(&self.db, business, filter).await
    }

    async fn count(&self, business: BusinessId, state: CaseState) -> Result<u64, RepoError> {
        business_cases::Entity::find()
            .filter(business_cases::Column::BusinessId.eq(business.as_uuid()))
            .filter(business_cases::Column::State.eq(state.as_str()))
            .count(&self.db)
            .await
            .map_err(unexpected)
    }

    async fn position(&self, case: &Case) -> Result<u64, RepoError> {
        queue::position(&self.db, case).await
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
        queue::awaiting_reply(&self.db, limit).await
    }
}
