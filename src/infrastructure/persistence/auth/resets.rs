//! Password reset tokens: one use each, until they expire.

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use time::OffsetDateTime;

use crate::domain::auth::{PasswordResetRepository, TokenHash};
use crate::domain::shared::{RepoError, UserId};
use crate::infrastructure::persistence::db::Db;
use crate::infrastructure::persistence::entities::password_resets;
use crate::infrastructure::persistence::{row_by_id, unexpected};

pub struct SeaOrmPasswordResetRepository {
    db: Db,
}

impl SeaOrmPasswordResetRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl PasswordResetRepository for SeaOrmPasswordResetRepository {
    async fn create(
        &self,
        user: UserId,
        token: &TokenHash,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), RepoError> {
        let row = password_resets::ActiveModel {
            token_hash: Set(token.as_str().to_owned()),
            user_id: Set(user.as_uuid()),
            created_at: Set(now),
            expires_at: Set(expires_at),
            used_at: Set(None),
        };
        password_resets::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn peek(
        &self,
        token: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, RepoError> {
        let row = row_by_id::<password_resets::Entity>(&self.db, token.as_str()).await?;
        Ok(row
            .filter(|row| row.used_at.is_none() && row.expires_at > now)
            .map(|row| UserId::from_uuid(row.user_id)))
    }

    async fn consume(
        &self,
        token: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        let Some(row) = row_by_id::<password_resets::Entity>(&txn, token.as_str()).await? else {
            return Ok(None);
        };
        if row.used_at.is_some() || row.expires_at <= now {
            return Ok(None);
        }
        let spent = password_resets::Entity::update_many()
            .col_expr(password_resets::Column::UsedAt, Expr::value(now))
            .filter(password_resets::Column::TokenHash.eq(token.as_str()))
            .filter(password_resets::Column::UsedAt.is_null())
            .exec(&txn)
            .await
            .map_err(unexpected)?
            .rows_affected;
        txn.commit().await.map_err(unexpected)?;
        Ok((spent == 1).then(|| UserId::from_uuid(row.user_id)))
    }
}
