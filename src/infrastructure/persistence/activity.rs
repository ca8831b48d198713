//! The account activity log.

use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use uuid::Uuid;

use super::db::Db;
use super::entities::account_activity;
use super::placeholders;
use super::unexpected;
use crate::domain::auth::{Activity, ActivityKind, ActivityRepository, Device};
use crate::domain::shared::{RepoError, SessionId, UserId};

pub struct SeaOrmActivityRepository {
    db: Db,
    /// Entries kept per user: the newest, so that nobody can grow another's log without bound
    /// (failed sign-ins can be caused by anyone who knows a login).
    kept: u64,
}

impl SeaOrmActivityRepository {
    pub fn new(db: Db, kept: u64) -> Self {
        Self {
            db,
            kept: kept.max(1),
        }
    }
}

/// Cut to the column's size on a character boundary: a long user agent is not an error.
fn bounded(value: &Option<String>, max: usize) -> Option<String> {
    value.as_ref().map(|v| v.chars().take(max).collect())
}

#[async_trait]
impl ActivityRepository for SeaOrmActivityRepository {
    async fn record(&self, a: &Activity) -> Result<(), RepoError> {
        let row = account_activity::ActiveModel {
            id: Set(a.id),
            user_id: Set(a.user_id.as_uuid()),
            kind: Set(a.kind.as_str().to_owned()),
            ip: Set(bounded(&a.device.ip, 64)),
            user_agent: Set(bounded(&a.device.user_agent, 512)),
            device_name: Set(bounded(&a.device.name, 100)),
            session_id: Set(a.session_id.map(|s| s.as_uuid())),
            created_at: Set(a.at),
        };
        account_activity::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(unexpected)?;
        let backend = self.db.get_database_backend();
        let sql = "DELETE FROM account_activity WHERE user_id = ? AND id NOT IN \
                   (SELECT id FROM account_activity WHERE user_id = ? ORDER BY id DESC LIMIT ?)";
        let user = a.user_id.as_uuid();
        let kept = i64::try_from(self.kept).unwrap_or(i64::MAX);
        self.db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                placeholders(backend, sql),
                [user.into(), user.into(), kept.into()],
            ))
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn list(
        &self,
        user: UserId,
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Activity>, RepoError> {
        use account_activity::Column as A;
        let mut query = account_activity::Entity::find().filter(A::UserId.eq(user.as_uuid()));
        if let Some(before) = before {
            query = query.filter(A::Id.lt(before));
        }
        let rows = query
            .order_by_desc(A::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        rows.into_iter()
            .map(|row| {
                let kind = ActivityKind::parse(&row.kind).ok_or_else(|| {
                    RepoError::Unexpected(anyhow::anyhow!("stored activity kind is invalid"))
                })?;
                Ok(Activity {
                    id: row.id,
                    user_id: UserId::from_uuid(row.user_id),
                    kind,
                    device: Device {
                        name: row.device_name,
                        user_agent: row.user_agent,
                        ip: row.ip,
                    },
                    session_id: row.session_id.map(SessionId::from_uuid),
                    at: row.created_at,
                })
            })
            .collect()
    }
}
