//! Conversations, participants and the chat list.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, Value,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::db::Db;
use super::entities::{conversations, participants};
use super::outbox::{self, OutboxSignal};
use super::{corrupt, placeholders, repo_error, unexpected};
use crate::domain::conversations::{
    ChatListCursor, ChatListEntry, Conversation, ConversationKind, ConversationRepository,
    DeliveredMark, Description, LastMessage, Participant, Role, Title,
};
use crate::domain::shared::{ConversationId, DomainEvent, MessageId, RepoError, UserId};

struct ConversationFields {
    id: Uuid,
    kind: String,
    title: Option<String>,
    description: String,
    avatar_id: Option<Uuid>,
    created_by: Uuid,
    last_seq: i64,
    history_version: i64,
    last_activity_at: OffsetDateTime,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

fn conversation_from(f: ConversationFields) -> Result<Conversation, RepoError> {
    Ok(Conversation {
        id: ConversationId::from_uuid(f.id),
        kind: ConversationKind::parse(&f.kind).ok_or_else(|| corrupt("conversation kind"))?,
        title: f
            .title
            .map(|t| Title::parse(&t))
            .transpose()
            .map_err(|_| corrupt("title"))?,
        description: Description::parse(&f.description).map_err(|_| corrupt("description"))?,
        avatar_id: f.avatar_id,
        created_by: UserId::from_uuid(f.created_by),
        created_at: f.created_at,
        updated_at: f.updated_at,
        last_seq: f.last_seq,
        history_version: f.history_version,
        last_activity_at: f.last_activity_at,
    })
}

fn conversation_from_row(row: conversations::Model) -> Result<Conversation, RepoError> {
    conversation_from(ConversationFields {
        id: row.id,
        kind: row.kind,
        title: row.title,
        description: row.description,
        avatar_id: row.avatar_id,
        created_by: row.created_by,
        last_seq: row.last_seq,
        history_version: row.history_version,
        last_activity_at: row.last_activity_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
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

#[derive(Debug, FromQueryResult)]
struct UserIdRow {
    user_id: Uuid,
}

/// A conversation and one member's row in it.
#[derive(Debug, FromQueryResult)]
struct MemberRow {
    id: Uuid,
    kind: String,
    title: Option<String>,
    description: String,
    avatar_id: Option<Uuid>,
    created_by: Uuid,
    last_seq: i64,
    history_version: i64,
    last_activity_at: OffsetDateTime,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    user_id: Uuid,
    role: String,
    muted: bool,
    read_seq: i64,
    read_at: Option<OffsetDateTime>,
    delivered_seq: i64,
    delivered_at: Option<OffsetDateTime>,
    joined_at: OffsetDateTime,
}

impl MemberRow {
    fn into_parts(self) -> Result<(Conversation, Participant), RepoError> {
        let conversation = conversation_from(ConversationFields {
            id: self.id,
            kind: self.kind,
            title: self.title,
            description: self.description,
            avatar_id: self.avatar_id,
            created_by: self.created_by,
            last_seq: self.last_seq,
            history_version: self.history_version,
            last_activity_at: self.last_activity_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })?;
        let me = Participant {
            user_id: UserId::from_uuid(self.user_id),
            role: Role::parse(&self.role).ok_or_else(|| corrupt("role"))?,
            joined_at: self.joined_at,
            muted: self.muted,
            read_seq: self.read_seq,
            read_at: self.read_at,
            delivered_seq: self.delivered_seq,
            delivered_at: self.delivered_at,
        };
        Ok((conversation, me))
    }
}

#[derive(Debug, FromQueryResult)]
struct ChatRow {
    #[sea_orm(nested)]
    member: MemberRow,
    unread: i64,
    other_user: Option<Uuid>,
    lm_id: Option<Uuid>,
    lm_seq: Option<i64>,
    lm_sender: Option<Uuid>,
    lm_content: Option<String>,
    lm_created_at: Option<OffsetDateTime>,
    lm_deleted_at: Option<OffsetDateTime>,
}

const MEMBER_COLUMNS: &str = "c.id, c.kind, c.title, c.description, c.avatar_id, c.created_by, \
    c.last_seq, c.history_version, c.last_activity_at, c.created_at, c.updated_at, \
    p.user_id, p.role, p.muted, p.read_seq, p.read_at, p.delivered_seq, p.delivered_at, p.joined_at";

// The page is chosen first, sorting only ids by activity (from an index on the user's
// memberships), and only its rows are then read whole, with a last message, an unread count
// and, for direct chats, the other side. Unread counts come from the markers: every seq up to
// `last_seq` is a message, and a sender's own markers move past what they send, so what is
// unread is `last_seq - read_seq` less the deleted messages after `read_seq` (a partial index).
const CHAT_LIST_PAGE: &str = "\
SELECT {MEMBER_COLUMNS},
       c.last_seq - p.read_seq - (SELECT COUNT(*) FROM messages d
         WHERE d.conversation_id = c.id AND d.seq > p.read_seq
           AND d.deleted_at IS NOT NULL) AS unread,
       (SELECT o.user_id FROM participants o
         WHERE o.conversation_id = c.id AND o.user_id <> p.user_id LIMIT 1) AS other_user,
       lm.id AS lm_id, lm.seq AS lm_seq, lm.sender_id AS lm_sender, lm.content AS lm_content,
       lm.created_at AS lm_created_at, lm.deleted_at AS lm_deleted_at
FROM page
JOIN conversations c ON c.id = page.id
JOIN participants p ON p.conversation_id = page.id AND p.user_id = ?
LEFT JOIN messages lm ON lm.conversation_id = c.id AND lm.seq = c.last_seq
ORDER BY page.last_activity_at DESC, page.id DESC";

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

    async fn count_participants(&self, id: ConversationId) -> Result<u64, RepoError> {
        participants::Entity::find()
            .filter(participants::Column::ConversationId.eq(id.as_uuid()))
            .count(&self.db)
            .await
            .map_err(unexpected)
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
                .on_conflict(
                    OnConflict::columns([
                        participants::Column::ConversationId,
                        participants::Column::UserId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await
                .map_err(unexpected)?;
        }
        let added: Vec<UserId> = new.into_iter().map(|p| p.user_id).collect();
        let events: Vec<DomainEvent> = added
            .iter()
            .map(|user_id| DomainEvent::ParticipantAdded {
                conversation_id: id,
                user_id: *user_id,
                by,
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

    async fn mark_read(
        &self,
        id: ConversationId,
        user: UserId,
        seq: i64,
        now: OffsetDateTime,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        let moved = participants::Entity::update_many()
            .col_expr(participants::Column::ReadSeq, Expr::value(seq))
            .col_expr(participants::Column::ReadAt, Expr::value(now))
            .filter(Self::membership(id, user))
            .filter(participants::Column::ReadSeq.lt(seq))
            .exec(&txn)
            .await
            .map_err(unexpected)?
            .rows_affected
            == 1;
        // What was read was delivered.
        participants::Entity::update_many()
            .col_expr(participants::Column::DeliveredSeq, Expr::value(seq))
            .col_expr(participants::Column::DeliveredAt, Expr::value(now))
            .filter(Self::membership(id, user))
            .filter(participants::Column::DeliveredSeq.lt(seq))
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        outbox::commit_with(txn, if moved { announce } else { &[] }, &self.signal).await?;
        Ok(moved)
    }

    async fn mark_delivered(
        &self,
        id: ConversationId,
        user: UserId,
        seq: i64,
        now: OffsetDateTime,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        let result = participants::Entity::update_many()
            .col_expr(participants::Column::DeliveredSeq, Expr::value(seq))
            .col_expr(participants::Column::DeliveredAt, Expr::value(now))
            .filter(Self::membership(id, user))
            .filter(participants::Column::DeliveredSeq.lt(seq))
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        let moved = result.rows_affected == 1;
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

    #[tracing::instrument(name = "db.chat_list", skip_all)]
    async fn chat_list(
        &self,
        user: UserId,
        cursor: Option<ChatListCursor>,
        limit: u64,
    ) -> Result<Vec<ChatListEntry>, RepoError> {
        let backend = self.db.get_database_backend();
        let mut sql = "WITH page AS (SELECT c.id, c.last_activity_at FROM participants p \
             JOIN conversations c ON c.id = p.conversation_id WHERE p.user_id = ?"
            .to_owned();
        let mut values: Vec<Value> = vec![user.as_uuid().into()];
        if let Some(cursor) = cursor {
            sql.push_str(" AND (c.last_activity_at < ? OR (c.last_activity_at = ? AND c.id < ?))");
            values.extend([
                cursor.last_activity_at.into(),
                cursor.last_activity_at.into(),
                cursor.id.as_uuid().into(),
            ]);
        }
        sql.push_str(" ORDER BY c.last_activity_at DESC, c.id DESC LIMIT ?) ");
        static PAGE: LazyLock<String> =
            LazyLock::new(|| CHAT_LIST_PAGE.replace("{MEMBER_COLUMNS}", MEMBER_COLUMNS));
        sql.push_str(&PAGE);
        values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
        values.push(user.as_uuid().into());
        let statement =
            Statement::from_sql_and_values(backend, placeholders(backend, &sql), values);
        let rows = ChatRow::find_by_statement(statement)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        rows.into_iter()
            .map(|row| {
                let (conversation, me) = row.member.into_parts()?;
                let last_message = match (row.lm_id, row.lm_seq, row.lm_sender, row.lm_created_at) {
                    (Some(id), Some(seq), Some(sender), Some(created_at)) => Some(LastMessage {
                        id: MessageId::from_uuid(id),
                        seq,
                        sender_id: UserId::from_uuid(sender),
                        content: if row.lm_deleted_at.is_some() {
                            None
                        } else {
                            row.lm_content
                        },
                        created_at,
                    }),
                    _ => None,
                };
                let other_user = (conversation.kind == ConversationKind::Direct)
                    .then_some(row.other_user.map(UserId::from_uuid))
                    .flatten();
                Ok(ChatListEntry {
                    conversation,
                    me,
                    // A huge backlog reads as "9,999", as it always has.
                    unread: row.unread.clamp(0, 9_999),
                    last_message,
                    other_user,
                })
            })
            .collect()
    }
}
