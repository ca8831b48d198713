//! Blocks, both ways.

use async_trait::async_trait;
use sea_orm::sea_query::{ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use time::OffsetDateTime;

use super::contacts::pair;

use crate::domain::shared::{RepoError, UserId};
use crate::domain::users::BlockRepository;
use crate::infrastructure::persistence::db::Db;
use crate::infrastructure::persistence::entities::{blocks, contacts};
use crate::infrastructure::persistence::{row_by_id, unexpected};

pub struct SeaOrmBlockRepository {
    db: Db,
}

impl SeaOrmBlockRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl BlockRepository for SeaOrmBlockRepository {
    async fn block(
        &self,
        blocker: UserId,
        blocked: UserId,
        now: OffsetDateTime,
    ) -> Result<(), RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        let row = blocks::ActiveModel {
            blocker_id: Set(blocker.as_uuid()),
            blocked_id: Set(blocked.as_uuid()),
            created_at: Set(now),
        };
        let inserted = blocks::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([blocks::Column::BlockerId, blocks::Column::BlockedId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await;
        match inserted {
            Ok(_) | Err(DbErr::RecordNotInserted) => {}
            Err(error) => return Err(unexpected(error)),
        }
        contacts::Entity::delete_by_id(pair(blocker, blocked))
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        txn.commit().await.map_err(unexpected)
    }

    async fn unblock(&self, blocker: UserId, blocked: UserId) -> Result<bool, RepoError> {
        let result = blocks::Entity::delete_by_id((blocker.as_uuid(), blocked.as_uuid()))
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(result.rows_affected == 1)
    }

    async fn list(&self, blocker: UserId) -> Result<Vec<(UserId, OffsetDateTime)>, RepoError> {
        let rows = blocks::Entity::find()
            .filter(blocks::Column::BlockerId.eq(blocker.as_uuid()))
            .order_by_desc(blocks::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .map(|row| (UserId::from_uuid(row.blocked_id), row.created_at))
            .collect())
    }

    async fn blockers(&self, blocked: UserId) -> Result<Vec<UserId>, RepoError> {
        let rows = blocks::Entity::find()
            .filter(blocks::Column::BlockedId.eq(blocked.as_uuid()))
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .map(|row| UserId::from_uuid(row.blocker_id))
            .collect())
    }

    async fn has_blocked(&self, blocker: UserId, blocked: UserId) -> Result<bool, RepoError> {
        let row =
            row_by_id::<blocks::Entity>(&self.db, (blocker.as_uuid(), blocked.as_uuid())).await?;
        Ok(row.is_some())
    }

    async fn either_blocked(&self, a: UserId, b: UserId) -> Result<bool, RepoError> {
        let count = blocks::Entity::find()
            .filter(
                Condition::any()
                    .add(
                        blocks::Column::BlockerId
                            .eq(a.as_uuid())
                            .and(blocks::Column::BlockedId.eq(b.as_uuid())),
                    )
                    .add(
                        blocks::Column::BlockerId
                            .eq(b.as_uuid())
                            .and(blocks::Column::BlockedId.eq(a.as_uuid())),
                    ),
            )
            .count(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(count > 0)
    }
}
