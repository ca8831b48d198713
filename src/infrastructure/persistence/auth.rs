//! Accounts, sessions with their refresh tokens, and password resets.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::db::Db;
use super::entities::{password_resets, refresh_tokens, sessions, users};
use super::outbox::{self, OutboxSignal};
use super::{repo_error, unexpected};
use crate::domain::auth::{
    Account, AccountRepository, Device, Login, PasswordHash, PasswordResetRepository, Rotation,
    Session, SessionPolicy, SessionRepository, TokenHash,
};
use crate::domain::shared::{DomainEvent, RepoError, SessionId, UserId};
use crate::domain::users::{DisplayName, Email, User, Username};

pub struct SeaOrmAccountRepository {
    db: Db,
}

impl SeaOrmAccountRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    async fn find_where(&self, filter: sea_orm::Condition) -> Result<Option<Account>, RepoError> {
        let row = users::Entity::find()
            .filter(filter)
            .one(&self.db)
            .await
            .map_err(unexpected)?;
        row.map(account_from_row).transpose()
    }
}

/// Rows were validated on the way in; a row that no longer parses is corruption, not input.
fn account_from_row(row: users::Model) -> Result<Account, RepoError> {
    let corrupt = |field: &str| {
        RepoError::Unexpected(anyhow::anyhow!("users.{field} of {} is invalid", row.id))
    };
    let user = User {
        id: UserId::from_uuid(row.id),
        username: Username::parse(&row.username).map_err(|_| corrupt("username"))?,
        email: Email::parse(&row.email).map_err(|_| corrupt("email"))?,
        display_name: DisplayName::parse(&row.display_name).map_err(|_| corrupt("display_name"))?,
        created_at: row.created_at,
    };
    Ok(Account {
        user,
        password_hash: PasswordHash::new(row.password_hash),
    })
}

#[async_trait]
impl AccountRepository for SeaOrmAccountRepository {
    async fn create(&self, account: &Account) -> Result<(), RepoError> {
        let user = &account.user;
        let row = users::ActiveModel {
            id: Set(user.id.as_uuid()),
            username: Set(user.username.as_str().to_owned()),
            email: Set(user.email.as_str().to_owned()),
            display_name: Set(user.display_name.as_str().to_owned()),
            password_hash: Set(account.password_hash.as_str().to_owned()),
            bio: Set(String::new()),
            status_text: Set(String::new()),
            avatar_id: Set(None),
            search_name: Set(user.display_name.as_str().to_lowercase()),
            created_at: Set(user.created_at),
            updated_at: Set(user.created_at),
        };
        users::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| repo_error(e, &["username", "email"]))?;
        Ok(())
    }

    async fn find(&self, id: UserId) -> Result<Option<Account>, RepoError> {
        self.find_where(sea_orm::Condition::all().add(users::Column::Id.eq(id.as_uuid())))
            .await
    }

    async fn find_by_login(&self, login: &Login) -> Result<Option<Account>, RepoError> {
        let filter = match login {
            Login::Email(email) => users::Column::Email.eq(email.as_str()),
            Login::Username(username) => users::Column::Username.eq(username.as_str()),
        };
        self.find_where(sea_orm::Condition::all().add(filter)).await
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<Account>, RepoError> {
        self.find_by_login(&Login::Email(email.clone())).await
    }

    async fn set_password_hash(
        &self,
        id: UserId,
        hash: &PasswordHash,
        now: OffsetDateTime,
    ) -> Result<(), RepoError> {
        users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::value(hash.as_str()))
            .col_expr(users::Column::UpdatedAt, Expr::value(now))
            .filter(users::Column::Id.eq(id.as_uuid()))
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(())
    }
}

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
        let row = sessions::Entity::find_by_id(id.as_uuid())
            .one(&self.db)
            .await
            .map_err(unexpected)?;
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
        let Some(token) = refresh_tokens::Entity::find_by_id(presented.as_str())
            .one(&txn)
            .await
            .map_err(unexpected)?
        else {
            return Ok(Rotation::Invalid);
        };
        let Some(mut session) = sessions::Entity::find_by_id(token.session_id)
            .one(&txn)
            .await
            .map_err(unexpected)?
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
        let row = password_resets::Entity::find_by_id(token.as_str())
            .one(&self.db)
            .await
            .map_err(unexpected)?;
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
        let Some(row) = password_resets::Entity::find_by_id(token.as_str())
            .one(&txn)
            .await
            .map_err(unexpected)?
        else {
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
