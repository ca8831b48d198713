//! Sessions and their rotating refresh tokens.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::auth::{Device, Rotation, Session, SessionPolicy, SessionRepository, TokenHash};
use crate::domain::shared::{DomainEvent, RepoError, SessionId, UserId};
use crate::infrastructure::persistence::db::Db;
use crate::infrastructure::persistence::entities::{refresh_tokens, sessions};
use crate::infrastructure::persistence::outbox::{self, OutboxSignal};
use crate::infrastructure::persistence::{row_by_id, unexpected};

pub struct SeaOrmSessionRepository {
    db: Db,
    signal: OutboxSignal,
}

impl SeaOrmSessionRepository {
    pub fn new(db: Db, signal: OutboxSignal) -> Self {
        Self { db, signal }
    }
}

fn session_from_row(row: sessions::Model) -> Session {
    Session {
        id: SessionId::from_uuid(row.id),
        user_id: UserId::from_uuid(row.user_id),
        device: Device {
            name: row.device_name,
            user_agent: row.user_agent,
            ip: row.ip,
        },
        created_at: row.created_at,
        last_active_at: row.last_active_at,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
    }
}

fn live_sessions_of(user: UserId, now: OffsetDateTime) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(sessions::Column::UserId.eq(user.as_uuid()))
        .add(sessions::Column::RevokedAt.is_null())
        .add(sessions::Column::ExpiresAt.gt(now))
}

/// Revokes the sessions `filter` selects and records that they ended, for their sockets;
/// returns how many there were.
async fn revoke_where(
    txn: DatabaseTransaction,
    filter: sea_orm::Condition,
    now: OffsetDateTime,
    signal: &OutboxSignal,
) -> Result<u64, RepoError> {
    let update = Query::update()
        .table(sessions::Entity)
        .value(sessions::Column::RevokedAt, now)
        .cond_where(filter)
        .returning(Query::returning().columns([sessions::Column::Id, sessions::Column::UserId]))
        .to_owned();
    let rows = txn.query_all(&update).await.map_err(unexpected)?;
    let mut ended: BTreeMap<Uuid, Vec<SessionId>> = BTreeMap::new();
    for row in &rows {
        let id: Uuid = row.try_get("", "id").map_err(unexpected)?;
        let user: Uuid = row.try_get("", "user_id").map_err(unexpected)?;
        ended
            .entry(user)
            .or_default()
            .push(SessionId::from_uuid(id));
    }
    let events: Vec<DomainEvent> = ended
        .into_iter()
        .map(|(user, sessions)| DomainEvent::SessionsEnded {
            user_id: UserId::from_uuid(user),
            sessions,
        })
        .collect();
    outbox::commit_with(txn, &events, signal).await?;
    Ok(rows.len() as u64)
}

#[async_trait]
impl SessionRepository for SeaOrmSessionRepository {
    async fn create(
        &self,
        session: &Session,
        refresh: &TokenHash,
        policy: &SessionPolicy,
    ) -> Result<(), RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        let row = sessions::ActiveModel {
            id: Set(session.id.as_uuid()),
            user_id: Set(session.user_id.as_uuid()),
            device_name: Set(session.device.name.clone()),
            user_agent: Set(session.device.user_agent.clone()),
            ip: Set(session.device.ip.clone()),
            created_at: Set(session.created_at),
            last_active_at: Set(session.last_active_at),
            expires_at: Set(session.expires_at),
            revoked_at: Set(None),
        };
        sessions::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(unexpected)?;
        insert_refresh_token(&txn, session.id, refresh, session.created_at).await?;

        // Ids are UUID v7, so id order is creation order: everything past the newest
        // `max_live_sessions` goes.
        let live: Vec<uuid::Uuid> = sessions::Entity::find()
            .filter(live_sessions_of(session.user_id, session.created_at))
            .order_by_desc(sessions::Column::Id)
            .all(&txn)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(|row| row.id)
            .collect();
        let Some(oldest) = live
            .get(policy.max_live_sessions..)
            .filter(|o| !o.is_empty())
        else {
            return txn.commit().await.map_err(unexpected);
        };
        let filter = sea_orm::Condition::all().add(sessions::Column::Id.is_in(oldest.to_vec()));
        revoke_where(txn, filter, session.created_at, &self.signal).await?;
        Ok(())
    }

    async fn find(&self, id: SessionId) -> Result<Option<Session>, RepoError> {
        let row = row_by_id::<sessions::Entity>(&self.db, id.as_uuid()).await?;
        Ok(row.map(session_from_row))
    }

    async fn list_live(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<Vec<Session>, RepoError> {
        let rows = sessions::Entity::find()
            .filter(live_sessions_of(user, now))
            .order_by_desc(sessions::Column::Id)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(rows.into_iter().map(session_from_row).collect())
    }

    async fn rotate(
        &self,
        presented: &TokenHash,
        next: &TokenHash,
        now: OffsetDateTime,
        policy: &SessionPolicy,
    ) -> Result<Rotation, RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        let Some(token) = row_by_id::<refresh_tokens::Entity>(&txn, presented.as_str()).await?
        else {
            return Ok(Rotation::Invalid);
        };
        let Some(mut session) = row_by_id::<sessions::Entity>(&txn, token.session_id)
            .await?
            .map(session_from_row)
        else {
            return Ok(Rotation::Invalid);
        };
        if !session.is_live(now) {
            return Ok(Rotation::Invalid);
        }
        // The conditional update decides races: of two uses of one token only one spends it.
        let spent = refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::UsedAt, Expr::value(now))
            .filter(refresh_tokens::Column::TokenHash.eq(presented.as_str()))
            .filter(refresh_tokens::Column::UsedAt.is_null())
            .exec(&txn)
            .await
            .map_err(unexpected)?
            .rows_affected;
        if token.used_at.is_some() || spent == 0 {
            let filter =
                sea_orm::Condition::all().add(sessions::Column::Id.eq(session.id.as_uuid()));
            revoke_where(txn, filter, now, &self.signal).await?;
            return Ok(Rotation::Reused(session.id));
        }
        insert_refresh_token(&txn, session.id, next, now).await?;
        session.touch(now, policy);
        sessions::Entity::update_many()
            .col_expr(
                sessions::Column::LastActiveAt,
                Expr::value(session.last_active_at),
            )
            .col_expr(sessions::Column::ExpiresAt, Expr::value(session.expires_at))
            .filter(sessions::Column::Id.eq(session.id.as_uuid()))
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        txn.commit().await.map_err(unexpected)?;
        Ok(Rotation::Rotated(session))
    }

    async fn revoke(
        &self,
        user: UserId,
        id: SessionId,
        now: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        let filter = live_sessions_of(user, now).add(sessions::Column::Id.eq(id.as_uuid()));
        let txn = self.db.begin().await.map_err(unexpected)?;
        Ok(revoke_where(txn, filter, now, &self.signal).await? == 1)
    }

    async fn revoke_all(
        &self,
        user: UserId,
        keep: Option<SessionId>,
        now: OffsetDateTime,
    ) -> Result<u64, RepoError> {
        let mut filter = live_sessions_of(user, now);
        if let Some(keep) = keep {
            filter = filter.add(sessions::Column::Id.ne(keep.as_uuid()));
        }
        let txn = self.db.begin().await.map_err(unexpected)?;
        revoke_where(txn, filter, now, &self.signal).await
    }
}

async fn insert_refresh_token<C: ConnectionTrait>(
    db: &C,
    session: SessionId,
    hash: &TokenHash,
    now: OffsetDateTime,
) -> Result<(), RepoError> {
    let row = refresh_tokens::ActiveModel {
        token_hash: Set(hash.as_str().to_owned()),
        session_id: Set(session.as_uuid()),
        created_at: Set(now),
        used_at: Set(None),
    };
    refresh_tokens::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}
