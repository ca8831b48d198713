//! Participants: who is in a conversation, with which role, and muted or not.

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement, Value,
};
use uuid::Uuid;

use super::{
    SeaOrmConversationRepository, already_a_member, participant_from_row, participant_row,
};
use crate::domain::conversations::ParticipantRepository;
use crate::domain::conversations::{Participant, Role};
use crate::domain::shared::{ConversationId, DomainEvent, MemberChange, RepoError, UserId};
use crate::infrastructure::persistence::entities::participants;
use crate::infrastructure::persistence::outbox;
use crate::infrastructure::persistence::{placeholders, unexpected};

#[async_trait]
impl ParticipantRepository for SeaOrmConversationRepository {
    #[tracing::instrument(name = "db.participants", skip_all)]
    async fn participants(&self, id: ConversationId) -> Result<Vec<Participant>, RepoError> {
        let rows = participants::Entity::find()
            .filter(participants::Column::ConversationId.eq(id.as_uuid()))
            .order_by_asc(participants::Column::JoinedAt)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        rows.into_iter().map(participant_from_row).collect()
    }

    #[tracing::instrument(name = "db.participant_ids", skip_all)]
    async fn participant_ids(&self, id: ConversationId) -> Result<Vec<UserId>, RepoError> {
        let ids: Vec<Uuid> = participants::Entity::find()
            .select_only()
            .column(participants::Column::UserId)
            .filter(participants::Column::ConversationId.eq(id.as_uuid()))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(ids.into_iter().map(UserId::from_uuid).collect())
    }

    async fn co_participants(&self, user: UserId) -> Result<Vec<UserId>, RepoError> {
        let backend = self.db.get_database_backend();
        let sql = "SELECT DISTINCT o.user_id AS user_id FROM participants p \
                   JOIN participants o ON o.conversation_id = p.conversation_id \
                   WHERE p.user_id = ? AND o.user_id <> ?";
        let values: Vec<Value> = vec![user.as_uuid().into(), user.as_uuid().into()];
        let statement = Statement::from_sql_and_values(backend, placeholders(backend, sql), values);
        let rows = UserIdRow::find_by_statement(statement)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .map(|row| UserId::from_uuid(row.user_id))
            .collect())
    }

    async fn count_owners(&self, id: ConversationId) -> Result<u64, RepoError> {
        participants::Entity::find()
            .filter(participants::Column::ConversationId.eq(id.as_uuid()))
            .filter(participants::Column::Role.eq(Role::Owner.as_str()))
            .count(&self.db)
            .await
            .map_err(unexpected)
    }

    async fn add_participants(
        &self,
        id: ConversationId,
        members: &[Participant],
        by: UserId,
    ) -> Result<Vec<UserId>, RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        let existing: Vec<Uuid> = participants::Entity::find()
            .select_only()
            .column(participants::Column::UserId)
            .filter(participants::Column::ConversationId.eq(id.as_uuid()))
            .filter(participants::Column::UserId.is_in(members.iter().map(|m| m.user_id.as_uuid())))
            .into_tuple()
            .all(&txn)
            .await
            .map_err(unexpected)?;
        let new: Vec<&Participant> = members
            .iter()
            .filter(|m| !existing.contains(&m.user_id.as_uuid()))
            .collect();
        if !new.is_empty() {
            participants::Entity::insert_many(new.iter().map(|p| participant_row(id, p)))
                .on_conflict(already_a_member())
                .exec_without_returning(&txn)
                .await
                .map_err(unexpected)?;
        }
        let added: Vec<UserId> = new.into_iter().map(|p| p.user_id).collect();
        let events: Vec<DomainEvent> = added
            .iter()
            .map(|user_id| {
                DomainEvent::ParticipantAdded(MemberChange {
                    conversation_id: id,
                    user_id: *user_id,
                    by,
                })
            })
            .collect();
        outbox::commit_with(txn, &events, &self.signal).await?;
        Ok(added)
    }

    async fn remove_participant(
        &self,
        id: ConversationId,
        user: UserId,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        let result = participants::Entity::delete_many()
            .filter(Self::membership(id, user))
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        let removed = result.rows_affected == 1;
        outbox::commit_with(txn, if removed { announce } else { &[] }, &self.signal).await?;
        Ok(removed)
    }

    async fn set_role(
        &self,
        id: ConversationId,
        user: UserId,
        role: Role,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        let result = participants::Entity::update_many()
            .col_expr(participants::Column::Role, Expr::value(role.as_str()))
            .filter(Self::membership(id, user))
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        let changed = result.rows_affected == 1;
        outbox::commit_with(txn, if changed { announce } else { &[] }, &self.signal).await?;
        Ok(changed)
    }

    async fn set_muted(
        &self,
        id: ConversationId,
        user: UserId,
        muted: bool,
    ) -> Result<(), RepoError> {
        participants::Entity::update_many()
            .col_expr(participants::Column::Muted, Expr::value(muted))
            .filter(Self::membership(id, user))
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(())
    }
}

#[derive(Debug, FromQueryResult)]
struct UserIdRow {
    user_id: Uuid,
}
