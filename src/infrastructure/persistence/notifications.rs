//! Notifications and push devices.

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::db::Db;
use super::entities::{devices, notifications};
use super::outbox::{self, OutboxSignal};
use super::{corrupt, inserted_unless_present, placeholders, unexpected};
use crate::domain::notifications::{
    Device, DeviceId, DeviceRepository, Notification, NotificationId, NotificationKind,
    NotificationRepository, Platform, PushToken,
};
use crate::domain::shared::{ConversationId, DomainEvent, MessageId, RepoError, UserId};

fn notification_from_row(row: notifications::Model) -> Result<Notification, RepoError> {
    Ok(Notification {
        id: NotificationId::from_uuid(row.id),
        user_id: UserId::from_uuid(row.user_id),
        kind: NotificationKind::parse(&row.kind).ok_or_else(|| corrupt("notification kind"))?,
        actor_id: UserId::from_uuid(row.actor_id),
        conversation_id: row.conversation_id.map(ConversationId::from_uuid),
        message_id: row.message_id.map(MessageId::from_uuid),
        created_at: row.created_at,
        read_at: row.read_at,
        cause: None,
    })
}

pub struct SeaOrmNotificationRepository {
    db: Db,
    signal: OutboxSignal,
}

impl SeaOrmNotificationRepository {
    pub fn new(db: Db, signal: OutboxSignal) -> Self {
        Self { db, signal }
    }
}

#[async_trait]
impl NotificationRepository for SeaOrmNotificationRepository {
    async fn insert(&self, n: &Notification, announce: &[DomainEvent]) -> Result<bool, RepoError> {
        use notifications::Column as N;
        let row = notifications::ActiveModel {
            id: Set(n.id.as_uuid()),
            user_id: Set(n.user_id.as_uuid()),
            kind: Set(n.kind.as_str().to_owned()),
            actor_id: Set(n.actor_id.as_uuid()),
            conversation_id: Set(n.conversation_id.map(|c| c.as_uuid())),
            message_id: Set(n.message_id.map(|m| m.as_uuid())),
            dedupe_key: Set(n.dedupe_key()),
            created_at: Set(n.created_at),
            read_at: Set(n.read_at),
        };
        let txn = self.db.begin().await.map_err(unexpected)?;
        let inserted = notifications::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([N::UserId, N::DedupeKey])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await;
        let inserted = inserted_unless_present(inserted)?;
        outbox::commit_with(txn, if inserted { announce } else { &[] }, &self.signal).await?;
        Ok(inserted)
    }

    async fn list(
        &self,
        user: UserId,
        unread_only: bool,
        before: Option<NotificationId>,
        limit: u64,
    ) -> Result<Vec<Notification>, RepoError> {
        use notifications::Column as N;
        let mut query = notifications::Entity::find().filter(N::UserId.eq(user.as_uuid()));
        if unread_only {
            query = query.filter(N::ReadAt.is_null());
        }
        if let Some(before) = before {
            query = query.filter(N::Id.lt(before.as_uuid()));
        }
        query
            .order_by_desc(N::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(notification_from_row)
            .collect()
    }

    async fn unread_count(&self, user: UserId) -> Result<u64, RepoError> {
        use notifications::Column as N;
        notifications::Entity::find()
            .filter(N::UserId.eq(user.as_uuid()))
            .filter(N::ReadAt.is_null())
            .count(&self.db)
            .await
            .map_err(unexpected)
    }

    async fn mark_read(
        &self,
        user: UserId,
        ids: Option<&[NotificationId]>,
        now: OffsetDateTime,
    ) -> Result<u64, RepoError> {
        use notifications::Column as N;
        let mut update = notifications::Entity::update_many()
            .col_expr(N::ReadAt, Expr::value(now))
            .filter(N::UserId.eq(user.as_uuid()))
            .filter(N::ReadAt.is_null());
        if let Some(ids) = ids {
            if ids.is_empty() {
                return Ok(0);
            }
            update = update.filter(N::Id.is_in(ids.iter().map(|id| id.as_uuid())));
        }
        let result = update.exec(&self.db).await.map_err(unexpected)?;
        Ok(result.rows_affected)
    }
}

fn token_hash(token: &PushToken) -> String {
    let digest = Sha256::digest(token.as_str().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn device_from_row(row: devices::Model) -> Result<Device, RepoError> {
    Ok(Device {
        id: DeviceId::from_uuid(row.id),
        user_id: UserId::from_uuid(row.user_id),
        platform: Platform::parse(&row.platform).map_err(|_| corrupt("platform"))?,
        token: PushToken::parse(&row.token).map_err(|_| corrupt("push token"))?,
        created_at: row.created_at,
    })
}

pub struct SeaOrmDeviceRepository {
    db: Db,
}

impl SeaOrmDeviceRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    async fn by_hash(&self, hash: &str) -> Result<Option<devices::Model>, RepoError> {
        devices::Entity::find()
            .filter(devices::Column::TokenHash.eq(hash))
            .one(&self.db)
            .await
            .map_err(unexpected)
    }
}

#[async_trait]
impl DeviceRepository for SeaOrmDeviceRepository {
    async fn register(&self, device: &Device) -> Result<(Device, bool), RepoError> {
        use devices::Column as D;
        let hash = token_hash(&device.token);
        let row = devices::ActiveModel {
            id: Set(device.id.as_uuid()),
            user_id: Set(device.user_id.as_uuid()),
            platform: Set(device.platform.as_str().to_owned()),
            token: Set(device.token.as_str().to_owned()),
            token_hash: Set(hash.clone()),
            created_at: Set(device.created_at),
        };
        let inserted = devices::Entity::insert(row)
            .on_conflict(OnConflict::column(D::TokenHash).do_nothing().to_owned())
            .exec_without_returning(&self.db)
            .await;
        match inserted {
            Ok(1) => return Ok((device.clone(), true)),
            Ok(_) | Err(DbErr::RecordNotInserted) => {}
            Err(error) => return Err(unexpected(error)),
        }
        let existing = self
            .by_hash(&hash)
            .await?
            .ok_or_else(|| corrupt("device (removed while registered)"))?;
        if existing.user_id == device.user_id.as_uuid()
            && existing.platform == device.platform.as_str()
        {
            return Ok((device_from_row(existing)?, false));
        }
        // The install now belongs to another account (or reported another platform).
        let moved = existing.user_id != device.user_id.as_uuid();
        devices::Entity::update_many()
            .col_expr(D::UserId, Expr::value(device.user_id.as_uuid()))
            .col_expr(D::Platform, Expr::value(device.platform.as_str()))
            .filter(D::TokenHash.eq(hash.as_str()))
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        let updated = self
            .by_hash(&hash)
            .await?
            .ok_or_else(|| corrupt("device (removed while registered)"))?;
        Ok((device_from_row(updated)?, moved))
    }

    async fn remove(&self, user: UserId, id: DeviceId) -> Result<bool, RepoError> {
        let result = devices::Entity::delete_many()
            .filter(devices::Column::Id.eq(id.as_uuid()))
            .filter(devices::Column::UserId.eq(user.as_uuid()))
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(result.rows_affected == 1)
    }

    async fn list(&self, user: UserId) -> Result<Vec<Device>, RepoError> {
        devices::Entity::find()
            .filter(devices::Column::UserId.eq(user.as_uuid()))
            .order_by_asc(devices::Column::Id)
            .all(&self.db)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(device_from_row)
            .collect()
    }

    async fn claim_push(
        &self,
        notification: NotificationId,
        device: DeviceId,
    ) -> Result<bool, RepoError> {
        let backend = self.db.get_database_backend();
        let sql = "INSERT INTO push_receipts (notification_id, device_id, sent_at_ms) \
                   VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
        let now = outbox::now_ms();
        let done = self
            .db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                placeholders(backend, sql),
                [
                    notification.as_uuid().into(),
                    device.as_uuid().into(),
                    now.into(),
                ],
            ))
            .await
            .map_err(unexpected)?;
        Ok(done.rows_affected() == 1)
    }
}
