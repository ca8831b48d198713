//! Messages: the aggregate's repository (here) and its read models (history, receipts,
//! search), one sea-orm adapter for both engines.

mod append;
mod history;
mod receipts;
mod search;

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QuerySelect,
};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::domain::messages::{
    Emoji, Message, MessageContent, MessageDraft, MessageKind, MessageRecord, MessageRepository,
};
use crate::domain::shared::{
    AttachmentId, ConversationId, DomainEvent, MessageId, RepoError, UserId,
};
use crate::infrastructure::persistence::db::Db;
use crate::infrastructure::persistence::entities::{
    attachments, conversations, messages, reactions,
};
use crate::infrastructure::persistence::outbox::{self, OutboxSignal};
use crate::infrastructure::persistence::{inserted_unless_present, unexpected};
use append::group_commit;

fn message_from_row(row: messages::Model) -> Result<Message, RepoError> {
    let mentions: Vec<Uuid> = serde_json::from_str(&row.mentions).map_err(|_| {
        RepoError::Unexpected(anyhow::anyhow!("stored mentions of {} are invalid", row.id))
    })?;
    let attachments: Vec<Uuid> = serde_json::from_str(&row.attachment_ids).map_err(|_| {
        RepoError::Unexpected(anyhow::anyhow!(
            "stored attachments of {} are invalid",
            row.id
        ))
    })?;
    Ok(Message::restore(MessageRecord {
        id: MessageId::from_uuid(row.id),
        conversation_id: ConversationId::from_uuid(row.conversation_id),
        seq: row.seq,
        sender_id: UserId::from_uuid(row.sender_id),
        kind: MessageKind::parse(&row.kind).unwrap_or_default(),
        content: row.content,
        client_message_id: row.client_message_id,
        reply_to: row.reply_to.map(MessageId::from_uuid),
        reply_count: row.reply_count,
        mentions: mentions.into_iter().map(UserId::from_uuid).collect(),
        attachment_ids: attachments
            .into_iter()
            .map(AttachmentId::from_uuid)
            .collect(),
        created_at: row.created_at,
        edited_at: row.edited_at,
        deleted_at: row.deleted_at,
    }))
}

fn messages_from_rows(rows: Vec<messages::Model>) -> Result<Vec<Message>, RepoError> {
    rows.into_iter().map(message_from_row).collect()
}

const COLUMNS: &str = "m.id, m.conversation_id, m.seq, m.sender_id, m.kind, m.content, m.client_message_id, \
    m.reply_to, m.reply_count, m.mentions, m.attachment_ids, m.created_at, m.edited_at, m.deleted_at";

/// Most sends stored in one group-committed transaction.
const GROUP_COMMIT_MAX: usize = 64;

/// Group-commit tasks on PostgreSQL, each with a connection of the pool while it writes.
const POSTGRES_WRITERS: usize = 4;

type Appended = oneshot::Sender<Result<Message, RepoError>>;

/// A send waiting for its group: the draft, where its result goes, and its trace.
type Waiting = (MessageDraft, Appended, Option<String>);

pub struct SeaOrmMessageRepository {
    db: Db,
    signal: OutboxSignal,
    /// Sends queue for a task that commits them in groups: one transaction, one commit and
    /// one turn at the event log's order for many sends.
    writers: Vec<mpsc::Sender<Waiting>>,
}

impl SeaOrmMessageRepository {
    /// Must be called inside the runtime: it starts the group-commit tasks, one on SQLite
    /// (one writer at a time), several on PostgreSQL (their statements overlap; only their
    /// commits take turns).
    pub fn new(db: Db, signal: OutboxSignal) -> Self {
        let count = match db.get_database_backend() {
            DbBackend::Sqlite => 1,
            _ => POSTGRES_WRITERS,
        };
        let writers = (0..count)
            .map(|_| {
                let (sender, receiver) = mpsc::channel(GROUP_COMMIT_MAX * 16);
                tokio::spawn(group_commit(db.clone(), signal.clone(), receiver));
                sender
            })
            .collect();
        Self {
            db,
            signal,
            writers,
        }
    }
}

#[async_trait]
impl MessageRepository for SeaOrmMessageRepository {
    #[tracing::instrument(name = "db.append_message", skip_all)]
    async fn append(&self, draft: &MessageDraft) -> Result<Message, RepoError> {
        // A conversation's sends share a writer, so they never wait on each other's row lock
        // from two transactions.
        let writer = draft.conversation_id.as_uuid().as_u128() as usize % self.writers.len();
        let (reply, appended) = oneshot::channel();
        let stopped = || RepoError::Unexpected(anyhow::anyhow!("the message writer stopped"));
        self.writers[writer]
            .send((draft.clone(), reply, crate::telemetry::otel::traceparent()))
            .await
            .map_err(|_| stopped())?;
        appended.await.map_err(|_| stopped())?
    }

    #[tracing::instrument(name = "db.find", skip_all)]
    async fn find(
        &self,
        conversation: ConversationId,
        id: MessageId,
    ) -> Result<Option<Message>, RepoError> {
        let row = messages::Entity::find_by_id(id.as_uuid())
            .filter(messages::Column::ConversationId.eq(conversation.as_uuid()))
            .one(&self.db)
            .await
            .map_err(unexpected)?;
        row.map(message_from_row).transpose()
    }

    #[tracing::instrument(name = "db.find_by_client_id", skip_all)]
    async fn find_by_client_id(
        &self,
        conversation: ConversationId,
        sender: UserId,
        client_message_id: &str,
    ) -> Result<Option<Message>, RepoError> {
        let row = messages::Entity::find()
            .filter(messages::Column::ConversationId.eq(conversation.as_uuid()))
            .filter(messages::Column::SenderId.eq(sender.as_uuid()))
            .filter(messages::Column::ClientMessageId.eq(client_message_id))
            .one(&self.db)
            .await
            .map_err(unexpected)?;
        row.map(message_from_row).transpose()
    }

    async fn edit(
        &self,
        id: MessageId,
        content: &MessageContent,
        now: OffsetDateTime,
        announce: &[DomainEvent],
    ) -> Result<(), RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        bump_history_version(&txn, &[id.as_uuid()]).await?;
        let edited = messages::Entity::update_many()
            .col_expr(messages::Column::Content, Expr::value(content.as_str()))
            .col_expr(messages::Column::EditedAt, Expr::value(now))
            .filter(messages::Column::Id.eq(id.as_uuid()))
            .filter(messages::Column::DeletedAt.is_null())
            .exec(&txn)
            .await
            .map_err(unexpected)?;
        let announce = if edited.rows_affected > 0 {
            announce
        } else {
            &[]
        };
        outbox::commit_with(txn, announce, &self.signal).await
    }

    async fn soft_delete(
        &self,
        id: MessageId,
        now: OffsetDateTime,
        announce: &[DomainEvent],
    ) -> Result<(), RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        let erased = erase(&txn, vec![id.as_uuid()], now).await?;
        let announce = if erased > 0 { announce } else { &[] };
        outbox::commit_with(txn, announce, &self.signal).await
    }

    async fn add_reaction(
        &self,
        id: MessageId,
        user: UserId,
        emoji: &Emoji,
        now: OffsetDateTime,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError> {
        let row = reactions::ActiveModel {
            message_id: Set(id.as_uuid()),
            user_id: Set(user.as_uuid()),
            emoji: Set(emoji.as_str().to_owned()),
            created_at: Set(now),
        };
        use reactions::Column as R;
        let txn = self.db.begin().await.map_err(unexpected)?;
        bump_history_version(&txn, &[id.as_uuid()]).await?;
        let inserted = reactions::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([R::MessageId, R::UserId, R::Emoji])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await;
        let inserted = inserted_unless_present(inserted)?;
        changed_or_undone(txn, inserted, announce, &self.signal).await
    }

    async fn remove_reaction(
        &self,
        id: MessageId,
        user: UserId,
        emoji: &Emoji,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        bump_history_version(&txn, &[id.as_uuid()]).await?;
        let result = reactions::Entity::delete_by_id((
            id.as_uuid(),
            user.as_uuid(),
            emoji.as_str().to_owned(),
        ))
        .exec(&txn)
        .await
        .map_err(unexpected)?;
        changed_or_undone(txn, result.rows_affected == 1, announce, &self.signal).await
    }

    async fn expire(
        &self,
        cutoff: OffsetDateTime,
        now: OffsetDateTime,
        batch: u64,
    ) -> Result<u64, RepoError> {
        let txn = self.db.begin().await.map_err(unexpected)?;
        let oldest: Vec<Uuid> = messages::Entity::find()
            .select_only()
            .column(messages::Column::Id)
            .filter(messages::Column::CreatedAt.lt(cutoff))
            .filter(messages::Column::DeletedAt.is_null())
            .limit(batch)
            .into_tuple()
            .all(&txn)
            .await
            .map_err(unexpected)?;
        let erased = erase(&txn, oldest, now).await?;
        txn.commit().await.map_err(unexpected)?;
        Ok(erased)
    }
}

/// Commits a reaction's change with its events, or, when there was none, rolls back the
/// history version bumped first (it comes first to lock the conversation before the
/// reaction, as edits and sends do): copies of the history at that version stay current.
async fn changed_or_undone(
    txn: DatabaseTransaction,
    changed: bool,
    announce: &[DomainEvent],
    signal: &OutboxSignal,
) -> Result<bool, RepoError> {
    if changed {
        outbox::commit_with(txn, announce, signal).await?;
    } else {
        txn.rollback().await.map_err(unexpected)?;
    }
    Ok(changed)
}

/// Counts a change to the messages `ids` in their conversations' `history_version`, so that
/// every cached copy of their history stops being served. First in its transaction: it takes
/// the conversation's row lock before any message's, in the order a send takes them.
async fn bump_history_version<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> Result<(), RepoError> {
    let of_messages = Query::select()
        .column(messages::Column::ConversationId)
        .from(messages::Entity)
        .and_where(messages::Column::Id.is_in(ids.iter().copied()))
        .to_owned();
    let bump = Query::update()
        .table(conversations::Entity)
        .value(
            conversations::Column::HistoryVersion,
            Expr::col(conversations::Column::HistoryVersion).add(1),
        )
        .and_where(conversations::Column::Id.in_subquery(of_messages))
        .to_owned();
    db.execute(&bump).await.map_err(unexpected)?;
    Ok(())
}

/// Soft-deletes the live ones of `ids`: content, mentions and files go, the row and its seq
/// stay. Their files become unsent uploads again, readable by their uploader only until the
/// orphan cleanup removes them.
async fn erase<C: ConnectionTrait>(
    db: &C,
    ids: Vec<Uuid>,
    now: OffsetDateTime,
) -> Result<u64, RepoError> {
    if ids.is_empty() {
        return Ok(0);
    }
    bump_history_version(db, &ids).await?;
    let erased = messages::Entity::update_many()
        .col_expr(messages::Column::Content, Expr::value(""))
        .col_expr(messages::Column::Mentions, Expr::value("[]"))
        .col_expr(messages::Column::AttachmentIds, Expr::value("[]"))
        .col_expr(messages::Column::DeletedAt, Expr::value(now))
        .filter(messages::Column::Id.is_in(ids.iter().copied()))
        .filter(messages::Column::DeletedAt.is_null())
        .exec(db)
        .await
        .map_err(unexpected)?;
    attachments::Entity::update_many()
        .col_expr(
            attachments::Column::MessageId,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(
            attachments::Column::ConversationId,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(attachments::Column::Discarded, Expr::value(true))
        .filter(attachments::Column::MessageId.is_in(ids))
        .exec(db)
        .await
        .map_err(unexpected)?;
    Ok(erased.rows_affected)
}
