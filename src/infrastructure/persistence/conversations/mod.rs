//! Conversations: the aggregate's repository (here), participants, markers and the chat
//! list read model, one sea-orm adapter for both engines.

mod chat_list;
mod markers;
mod members;

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    Statement,
};

use crate::domain::conversations::{
    Conversation, ConversationKind, ConversationRepository, Description, Participant, Role, Title,
};
use crate::domain::shared::{ConversationId, DomainEvent, RepoError, UserId};
use crate::infrastructure::persistence::db::Db;
use crate::infrastructure::persistence::entities::{conversations, participants};
use crate::infrastructure::persistence::outbox::{self, OutboxSignal};
use crate::infrastructure::persistence::{corrupt, placeholders, repo_error, unexpected};

fn conversation_from_row(row: conversations::Model) -> Result<Conversation, RepoError> {
    Ok(Conversation {
        id: ConversationId::from_uuid(row.id),
        kind: ConversationKind::parse(&row.kind).ok_or_else(|| corrupt("conversation kind"))?,
        title: row
            .title
            .map(|t| Title::parse(&t))
            .transpose()
            .map_err(|_| corrupt("title"))?,
        description: Description::parse(&row.description).map_err(|_| corrupt("description"))?,
        avatar_id: row.avatar_id,
        created_by: UserId::from_uuid(row.created_by),
        created_at: row.created_at,
        updated_at: row.updated_at,
        last_seq: row.last_seq,
        history_version: row.history_version,
        last_activity_at: row.last_activity_at,
    })
}

fn participant_from_row(row: participants::Model) -> Result<Participant, RepoError> {
    Ok(Participant {
        user_id: UserId::from_uuid(row.user_id),
        role: Role::parse(&row.role).ok_or_else(|| corrupt("role"))?,
        joined_at: row.joined_at,
        muted: row.muted,
        read_seq: row.read_seq,
        read_at: row.read_at,
        delivered_seq: row.delivered_seq,
        delivered_at: row.delivered_at,
    })
}

pub(super) fn conversation_row(
    conversation: &Conversation,
    direct_key: Option<&str>,
) -> conversations::ActiveModel {
    conversations::ActiveModel {
        id: Set(conversation.id.as_uuid()),
        kind: Set(conversation.kind.as_str().to_owned()),
        title: Set(conversation.title.as_ref().map(|t| t.as_str().to_owned())),
        description: Set(conversation.description.as_str().to_owned()),
        avatar_id: Set(conversation.avatar_id),
        direct_key: Set(direct_key.map(str::to_owned)),
        created_by: Set(conversation.created_by.as_uuid()),
        last_seq: Set(conversation.last_seq),
        history_version: Set(conversation.history_version),
        last_activity_at: Set(conversation.last_activity_at),
        created_at: Set(conversation.created_at),
        updated_at: Set(conversation.updated_at),
    }
}

/// Adding a member who is one already changes nothing.
pub(super) fn already_a_member() -> OnConflict {
    OnConflict::columns([
        participants::Column::ConversationId,
        participants::Column::UserId,
    ])
    .do_nothing()
    .to_owned()
}

pub(super) fn participant_row(id: ConversationId, p: &Participant) -> participants::ActiveModel {
    participants::ActiveModel {
        conversation_id: Set(id.as_uuid()),
        user_id: Set(p.user_id.as_uuid()),
        role: Set(p.role.as_str().to_owned()),
        muted: Set(p.muted),
        read_seq: Set(p.read_seq),
        read_at: Set(p.read_at),
        delivered_seq: Set(p.delivered_seq),
        delivered_at: Set(p.delivered_at),
        joined_at: Set(p.joined_at),
    }
}

pub struct SeaOrmConversationRepository {
    db: Db,
    signal: OutboxSignal,
}

impl SeaOrmConversationRepository {
    pub fn new(db: Db, signal: OutboxSignal) -> Self {
        Self { db, signal }
    }

    fn membership(id: ConversationId, user: UserId) -> sea_orm::Condition {
        sea_orm::Condition::all()
            .add(participants::Column::ConversationId.eq(id.as_uuid()))
            .add(participants::Column::UserId.eq(user.as_uuid()))
    }
}

/// A conversation and one member's row in it.
#[derive(Debug, FromQueryResult)]
struct MemberRow {
    #[sea_orm(nested)]
    conversation: conversations::Model,
    #[sea_orm(nested)]
    member: participants::Model,
}

impl MemberRow {
    fn into_parts(self) -> Result<(Conversation, Participant), RepoError> {
        let conversation = conversation_from_row(self.conversation)?;
        Ok((conversation, participant_from_row(self.member)?))
    }
}

const MEMBER_COLUMNS: &str = "c.id, c.kind, c.title, c.description, c.avatar_id, c.direct_key, \
    c.created_by, c.last_seq, c.history_version, c.last_activity_at, c.created_at, c.updated_at, \
    p.conversation_id, p.user_id, p.role, p.muted, p.read_seq, p.read_at, p.delivered_seq, \
    p.delivered_at, p.joined_at";

#[async_trait]
impl ConversationRepository for SeaOrmConversationRepository {
    async fn create(
        &self,
        conversation: &Conversation,
        members: &[Participant],
        direct_key: Option<&str>,
        announce: &[DomainEvent],
    ) -> Result<(), RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        conversations::Entity::insert(conversation_row(conversation, direct_key))
            .exec_without_returning(&txn)
            .await
            .map_err(|e| repo_error(e, &["direct"]))?;
        if !members.is_empty() {
            participants::Entity::insert_many(
                members.iter().map(|p| participant_row(conversation.id, p)),
            )
            .exec_without_returning(&txn)
            .await
            .map_err(unexpected)?;
        }
        outbox::commit_with(txn, announce, &self.signal).await
    }

    async fn find_direct(&self, direct_key: &str) -> Result<Option<Conversation>, RepoError> {
        let row = conversations::Entity::find()
            .filter(conversations::Column::DirectKey.eq(direct_key))
            .one(&self.db)
            .await
            .map_err(unexpected)?;
        row.map(conversation_from_row).transpose()
    }

    #[tracing::instrument(name = "db.find_for_member", skip_all)]
    async fn find_for_member(
        &self,
        id: ConversationId,
        user: UserId,
    ) -> Result<Option<(Conversation, Participant)>, RepoError> {
        // One statement: every history page and command starts here.
        let backend = self.db.get_database_backend();
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM participants p \
             JOIN conversations c ON c.id = p.conversation_id \
             WHERE p.conversation_id = ? AND p.user_id = ?"
        );
        let statement = Statement::from_sql_and_values(
            backend,
            placeholders(backend, &sql),
            [id.as_uuid().into(), user.as_uuid().into()],
        );
        MemberRow::find_by_statement(statement)
            .one(&self.db)
            .await
            .map_err(unexpected)?
            .map(MemberRow::into_parts)
            .transpose()
    }

    async fn update(
        &self,
        conversation: &Conversation,
        announce: &[DomainEvent],
    ) -> Result<(), RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        conversations::Entity::update_many()
            .col_expr(
                conversations::Column::Title,
                Expr::value(conversation.title.as_ref().map(|t| t.as_str().to_owned())),
            )
            .col_expr(
                conversations::Column::Description,
                Expr::value(conversation.description.as_str()),
            )
            .col_expr(
                conversations::Column::AvatarId,
                Expr::value(conversation.avatar_id),
            )
            .col_expr(
                conversations::Column::UpdatedAt,
                Expr::value(conversation.updated_at),
            )
            .filter(conversations::Column::Id.eq(conversation.id.as_uuid()))
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        outbox::commit_with(txn, announce, &self.signal).await
    }

    async fn delete(&self, id: ConversationId, announce: &[DomainEvent]) -> Result<(), RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        super::attachments::discard_conversation_files(&txn, id).await?;
        let deleted = conversations::Entity::delete_by_id(id.as_uuid())
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        let announce = if deleted.rows_affected > 0 {
            announce
        } else {
            &[]
        };
        outbox::commit_with(txn, announce, &self.signal).await
    }
}
