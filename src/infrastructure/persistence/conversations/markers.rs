//! Read and delivered markers.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use time::OffsetDateTime;
use uuid::Uuid;

use super::SeaOrmConversationRepository;
use crate::domain::conversations::{DeliveredMark, Marker, MarkerRepository};
use crate::domain::shared::{ConversationId, DomainEvent, RepoError, UserId};
use crate::infrastructure::persistence::entities::participants;
use crate::infrastructure::persistence::outbox;
use crate::infrastructure::persistence::unexpected;

/// A marker's columns: its seq and when it last moved.
type Columns = (participants::Column, participants::Column);
const READ: Columns = (participants::Column::ReadSeq, participants::Column::ReadAt);
const DELIVERED: Columns = (
    participants::Column::DeliveredSeq,
    participants::Column::DeliveredAt,
);

/// Moves `user`'s `marker` in conversation `id` forward to `seq`; whether it moved.
async fn advance(
    txn: &impl ConnectionTrait,
    id: ConversationId,
    user: UserId,
    (seq_column, at_column): Columns,
    seq: i64,
    now: OffsetDateTime,
) -> Result<bool, RepoError> {
    let result = participants::Entity::update_many()
        .col_expr(seq_column, Expr::value(seq))
        .col_expr(at_column, Expr::value(now))
        .filter(SeaOrmConversationRepository::membership(id, user))
        .filter(seq_column.lt(seq))
        .exec(txn)
        .await
        .map_err(unexpected)?;
    Ok(result.rows_affected == 1)
}

#[async_trait]
impl MarkerRepository for SeaOrmConversationRepository {
    async fn move_marker(
        &self,
        marker: Marker,
        id: ConversationId,
        user: UserId,
        seq: i64,
        now: OffsetDateTime,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        let columns = match marker {
            Marker::Read => READ,
            Marker::Delivered => DELIVERED,
        };
        let moved = advance(&txn, id, user, columns, seq, now).await?;
        if marker == Marker::Read {
            // What was read was delivered.
            advance(&txn, id, user, DELIVERED, seq, now).await?;
        }
        outbox::commit_with(txn, if moved { announce } else { &[] }, &self.signal).await?;
        Ok(moved)
    }

    async fn mark_delivered_many(
        &self,
        marks: &[DeliveredMark],
        now: OffsetDateTime,
    ) -> Result<Vec<DeliveredMark>, RepoError> {
        // Members of one conversation mostly stand at the same seq: one statement moves them
        // all, and one commit covers the lot (the commit is the costly part on both backends).
        let mut groups: BTreeMap<(ConversationId, i64), Vec<Uuid>> = BTreeMap::new();
        for mark in marks {
            groups
                .entry((mark.conversation_id, mark.seq))
                .or_default()
                .push(mark.user_id.as_uuid());
        }
        let txn = self.db.begin().await.map_err(unexpected)?;
        let mut moved = Vec::new();
        let mut events = Vec::new();
        for ((conversation_id, seq), users) in groups {
            let first = moved.len();
            for users in users.chunks(500) {
                let update = Query::update()
                    .table(participants::Entity)
                    .value(participants::Column::DeliveredSeq, seq)
                    .value(participants::Column::DeliveredAt, now)
                    .and_where(participants::Column::ConversationId.eq(conversation_id.as_uuid()))
                    .and_where(participants::Column::UserId.is_in(users.iter().copied()))
                    .and_where(participants::Column::DeliveredSeq.lt(seq))
                    .returning_col(participants::Column::UserId)
                    .to_owned();
                let rows = txn.query_all(&update).await.map_err(unexpected)?;
                for row in rows {
                    let user: Uuid = row.try_get("", "user_id").map_err(unexpected)?;
                    moved.push(DeliveredMark {
                        conversation_id,
                        user_id: UserId::from_uuid(user),
                        seq,
                    });
                }
            }
            if moved.len() > first {
                events.push(DomainEvent::DeliveredMarkersMoved {
                    conversation_id,
                    users: moved[first..].iter().map(|m| m.user_id).collect(),
                    seq,
                });
            }
        }
        outbox::commit_with(txn, &events, &self.signal).await?;
        Ok(moved)
    }
}
