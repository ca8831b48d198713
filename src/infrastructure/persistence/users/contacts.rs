//! Contact requests and the contact list.

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::shared::{DomainEvent, RepoError, UserId};
use crate::domain::users::{Contact, ContactRepository, ContactStatus};
use crate::infrastructure::persistence::db::Db;
use crate::infrastructure::persistence::entities::contacts;
use crate::infrastructure::persistence::outbox::{self, OutboxSignal};
use crate::infrastructure::persistence::{repo_error, row_by_id, unexpected};

pub struct SeaOrmContactRepository {
    db: Db,
    signal: OutboxSignal,
}

impl SeaOrmContactRepository {
    pub fn new(db: Db, signal: OutboxSignal) -> Self {
        Self { db, signal }
    }
}

/// The pair's key: the smaller id first.
pub(super) fn pair(a: UserId, b: UserId) -> (Uuid, Uuid) {
    let (a, b) = (a.as_uuid(), b.as_uuid());
    if a < b { (a, b) } else { (b, a) }
}

fn contact_seen_by(me: UserId, row: &contacts::Model) -> Contact {
    let other = if row.user_low == me.as_uuid() {
        row.user_high
    } else {
        row.user_low
    };
    let status = match (row.accepted, row.requested_by == me.as_uuid()) {
        (true, _) => ContactStatus::Accepted,
        (false, true) => ContactStatus::Outgoing,
        (false, false) => ContactStatus::Incoming,
    };
    Contact {
        user_id: UserId::from_uuid(other),
        status,
        since: row.updated_at,
    }
}

#[async_trait]
impl ContactRepository for SeaOrmContactRepository {
    async fn between(&self, me: UserId, other: UserId) -> Result<Option<Contact>, RepoError> {
        let row = row_by_id::<contacts::Entity>(&self.db, pair(me, other)).await?;
        Ok(row.map(|row| contact_seen_by(me, &row)))
    }

    async fn request(
        &self,
        from: UserId,
        to: UserId,
        now: OffsetDateTime,
        announce: &[DomainEvent],
    ) -> Result<(), RepoError> {
        let (low, high) = pair(from, to);
        let row = contacts::ActiveModel {
            user_low: Set(low),
            user_high: Set(high),
            requested_by: Set(from.as_uuid()),
            accepted: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let txn = self.db.begin().await.map_err(unexpected)?;
        contacts::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(|e| repo_error(e, &["contacts"]))?;
        outbox::commit_with(txn, announce, &self.signal).await
    }

    async fn accept(
        &self,
        me: UserId,
        requester: UserId,
        now: OffsetDateTime,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError> {
        let (low, high) = pair(me, requester);
        let txn = self.db.begin().await.map_err(unexpected)?;
        let result = contacts::Entity::update_many()
            .col_expr(contacts::Column::Accepted, Expr::value(true))
            .col_expr(contacts::Column::UpdatedAt, Expr::value(now))
            .filter(contacts::Column::UserLow.eq(low))
            .filter(contacts::Column::UserHigh.eq(high))
            .filter(contacts::Column::RequestedBy.eq(requester.as_uuid()))
            .filter(contacts::Column::Accepted.eq(false))
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        let accepted = result.rows_affected == 1;
        outbox::commit_with(txn, if accepted { announce } else { &[] }, &self.signal).await?;
        Ok(accepted)
    }

    async fn remove(&self, me: UserId, other: UserId) -> Result<bool, RepoError> {
        let result = contacts::Entity::delete_by_id(pair(me, other))
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(result.rows_affected == 1)
    }

    async fn list(&self, me: UserId) -> Result<Vec<Contact>, RepoError> {
        let rows = contacts::Entity::find()
            .filter(
                Condition::any()
                    .add(contacts::Column::UserLow.eq(me.as_uuid()))
                    .add(contacts::Column::UserHigh.eq(me.as_uuid())),
            )
            .order_by_desc(contacts::Column::UpdatedAt)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(rows.iter().map(|row| contact_seen_by(me, row)).collect())
    }
}
