//! Messages with their seq, reactions, receipts, full-text search and retention.

use std::collections::HashMap;

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait, Value,
};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::db::Db;
use super::entities::{attachments, conversations, messages, participants, reactions};
use super::message_batch;
use super::outbox::{self, OutboxSignal};
use super::{inserted_unless_present, placeholders, repo_error, unexpected};
use crate::domain::messages::{
    Emoji, HistoryRange, Message, MessageContent, MessageDraft, MessageKind, MessageRepository,
    ReactedMessage, Reaction, Reactors, Receipt,
};
use crate::domain::shared::{
    AttachmentId, ConversationId, DomainEvent, MessageId, RepoError, UserId,
};

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
    Ok(Message {
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
    })
}

fn messages_from_rows(rows: Vec<messages::Model>) -> Result<Vec<Message>, RepoError> {
    rows.into_iter().map(message_from_row).collect()
}

/// A history page's row: a message, and one of its reactions if it has any.
#[derive(Debug, FromQueryResult)]
struct PageRow {
    #[sea_orm(nested)]
    message: messages::Model,
    r_emoji: Option<String>,
    r_user: Option<Uuid>,
}

const COLUMNS: &str = "m.id, m.conversation_id, m.seq, m.sender_id, m.kind, m.content, m.client_message_id, \
    m.reply_to, m.reply_count, m.mentions, m.attachment_ids, m.created_at, m.edited_at, m.deleted_at";

/// Words of a user's query as an FTS5 expression: each quoted, all required. Quoting makes
/// any input a valid expression (no operators, no syntax errors).
fn fts5_query(raw: &str) -> Option<String> {
    let words: Vec<String> = raw
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\""))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

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

fn created(message: &Message) -> DomainEvent {
    DomainEvent::MessageCreated {
        message: std::sync::Arc::new(message.clone()),
    }
}

/// Stores every send waiting in `queue` in one transaction, each in its own savepoint so that
/// one refused send (a duplicate `client_message_id`) leaves the others in. One commit (and
/// one fsync) then serves the whole group.
async fn group_commit(db: Db, signal: OutboxSignal, mut queue: mpsc::Receiver<Waiting>) {
    use tracing::Instrument;
    let mut group = Vec::with_capacity(GROUP_COMMIT_MAX);
    while queue.recv_many(&mut group, GROUP_COMMIT_MAX).await > 0 {
        // One span for the group, linked to the trace of every send in it.
        let span = tracing::info_span!("db.group_commit", sends = group.len());
        for (_, _, trace) in &group {
            crate::telemetry::otel::link(&span, trace.as_deref());
        }
        match append_group(&db, &signal, &group).instrument(span).await {
            Ok(results) => {
                for ((_, reply, _), result) in group.drain(..).zip(results) {
                    let _ = reply.send(result);
                }
            }
            Err(error) => {
                for (_, reply, _) in group.drain(..) {
                    let failed = anyhow::anyhow!("group commit failed: {error}");
                    let _ = reply.send(Err(RepoError::Unexpected(failed)));
                }
            }
        }
    }
}

async fn append_group(
    db: &Db,
    signal: &OutboxSignal,
    group: &[Waiting],
) -> Result<Vec<Result<Message, RepoError>>, RepoError> {
    let txn = db.begin().await.map_err(unexpected)?;
    let mut results: Vec<Option<Result<Message, RepoError>>> = group.iter().map(|_| None).collect();
    let plain: Vec<usize> = (0..group.len())
        .filter(|i| message_batch::plain(&group[*i].0))
        .collect();
    if plain.len() > 1 {
        let drafts: Vec<&MessageDraft> = plain.iter().map(|i| &group[*i].0).collect();
        let savepoint = txn.begin().await.map_err(unexpected)?;
        match message_batch::append_batch(&savepoint, &drafts).await {
            Ok(messages) => {
                savepoint.commit().await.map_err(unexpected)?;
                for (i, message) in plain.iter().zip(messages) {
                    results[*i] = Some(Ok(message));
                }
            }
            // A duplicate key: the sends go in one by one below, which tells it apart.
            Err(RepoError::Duplicate(_)) => savepoint.rollback().await.map_err(unexpected)?,
            Err(error) => return Err(error),
        }
    }
    for ((draft, _, _), result) in group.iter().zip(results.iter_mut()) {
        if result.is_some() {
            continue;
        }
        let savepoint = txn.begin().await.map_err(unexpected)?;
        match append_in(&savepoint, draft).await {
            Ok(message) => {
                savepoint.commit().await.map_err(unexpected)?;
                *result = Some(Ok(message));
            }
            Err(error) => {
                savepoint.rollback().await.map_err(unexpected)?;
                *result = Some(Err(error));
            }
        }
    }
    let results: Vec<Result<Message, RepoError>> = results.into_iter().flatten().collect();
    // Each event in the trace of the send that caused it.
    let events: Vec<(DomainEvent, Option<&str>)> = results
        .iter()
        .zip(group)
        .filter_map(|(result, (_, _, trace))| {
            Some((created(result.as_ref().ok()?), trace.as_deref()))
        })
        .collect();
    let traced: Vec<(&DomainEvent, Option<&str>)> = events.iter().map(|(e, t)| (e, *t)).collect();
    outbox::commit_traced(txn, &traced, signal).await?;
    Ok(results)
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

    #[tracing::instrument(name = "db.history", skip_all)]
    async fn history(
        &self,
        conversation: ConversationId,
        range: HistoryRange,
    ) -> Result<Vec<ReactedMessage>, RepoError> {
        // The page is one index range on (conversation_id, seq); its reactions join on their
        // primary key. Forward from `after_seq`; otherwise back from `before_seq` or the newest.
        let mut sql = format!(
            "SELECT {COLUMNS}, r.emoji AS r_emoji, r.user_id AS r_user FROM \
             (SELECT {COLUMNS} FROM messages m WHERE m.conversation_id = ?"
        );
        let mut values: Vec<Value> = vec![conversation.as_uuid().into()];
        if let Some(before) = range.before_seq {
            sql.push_str(" AND m.seq < ?");
            values.push(before.into());
        }
        if let Some(after) = range.after_seq {
            sql.push_str(" AND m.seq > ?");
            values.push(after.into());
        }
        sql.push_str(if range.after_seq.is_some() {
            " ORDER BY m.seq ASC LIMIT ?) m"
        } else {
            " ORDER BY m.seq DESC LIMIT ?) m"
        });
        values.push(i64::try_from(range.limit).unwrap_or(i64::MAX).into());
        sql.push_str(
            " LEFT JOIN reactions r ON r.message_id = m.id AND m.deleted_at IS NULL \
             ORDER BY m.seq, r.created_at",
        );
        let backend = self.db.get_database_backend();
        let statement =
            Statement::from_sql_and_values(backend, placeholders(backend, &sql), values);
        let rows = PageRow::find_by_statement(statement)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        let mut page: Vec<ReactedMessage> = Vec::with_capacity(rows.len());
        for row in rows {
            let reactor = row.r_emoji.zip(row.r_user);
            if page
                .last()
                .is_none_or(|last| last.message.id.as_uuid() != row.message.id)
            {
                page.push(ReactedMessage {
                    message: message_from_row(row.message)?,
                    reactions: Vec::new(),
                });
            }
            if let (Some(last), Some((emoji, user))) = (page.last_mut(), reactor) {
                Reactors::add(&mut last.reactions, &emoji, UserId::from_uuid(user));
            }
        }
        Ok(page)
    }

    #[tracing::instrument(name = "db.thread", skip_all)]
    async fn thread(
        &self,
        conversation: ConversationId,
        root: MessageId,
        after_seq: i64,
        limit: u64,
    ) -> Result<Vec<Message>, RepoError> {
        let rows = messages::Entity::find()
            .filter(messages::Column::ConversationId.eq(conversation.as_uuid()))
            .filter(messages::Column::ReplyTo.eq(root.as_uuid()))
            .filter(messages::Column::Seq.gt(after_seq))
            .order_by_asc(messages::Column::Seq)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        messages_from_rows(rows)
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
        outbox::commit_with(txn, if inserted { announce } else { &[] }, &self.signal).await?;
        Ok(inserted)
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
        let removed = result.rows_affected == 1;
        outbox::commit_with(txn, if removed { announce } else { &[] }, &self.signal).await?;
        Ok(removed)
    }

    #[tracing::instrument(name = "db.reactions", skip_all)]
    async fn reactions(
        &self,
        ids: &[MessageId],
        viewer: UserId,
    ) -> Result<HashMap<MessageId, Vec<Reaction>>, RepoError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = reactions::Entity::find()
            .filter(reactions::Column::MessageId.is_in(ids.iter().map(MessageId::as_uuid)))
            .order_by_asc(reactions::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        // Grouped as a history page groups them: emojis in the order each was first used.
        let mut grouped: HashMap<MessageId, Vec<Reactors>> = HashMap::new();
        for row in rows {
            let reactions = grouped
                .entry(MessageId::from_uuid(row.message_id))
                .or_default();
            Reactors::add(reactions, &row.emoji, UserId::from_uuid(row.user_id));
        }
        let grouped = grouped
            .into_iter()
            .map(|(id, reactors)| (id, reactors.iter().map(|r| r.seen_by(viewer)).collect()))
            .collect();
        Ok(grouped)
    }

    #[tracing::instrument(name = "db.receipts", skip_all)]
    async fn receipts(
        &self,
        conversation: ConversationId,
        seq: i64,
        sender: UserId,
    ) -> Result<Vec<Receipt>, RepoError> {
        let rows = participants::Entity::find()
            .filter(participants::Column::ConversationId.eq(conversation.as_uuid()))
            .filter(participants::Column::UserId.ne(sender.as_uuid()))
            .filter(
                Condition::any()
                    .add(participants::Column::DeliveredSeq.gte(seq))
                    .add(participants::Column::ReadSeq.gte(seq)),
            )
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .map(|row| Receipt {
                user_id: UserId::from_uuid(row.user_id),
                delivered_at: (row.delivered_seq >= seq)
                    .then_some(row.delivered_at)
                    .flatten(),
                read_at: (row.read_seq >= seq).then_some(row.read_at).flatten(),
            })
            .collect())
    }

    #[tracing::instrument(name = "db.search", skip_all)]
    async fn search(
        &self,
        user: UserId,
        query: &str,
        conversation: Option<ConversationId>,
        limit: u64,
    ) -> Result<Vec<Message>, RepoError> {
        let backend = self.db.get_database_backend();
        let scope = "m.deleted_at IS NULL AND m.conversation_id IN \
                     (SELECT p.conversation_id FROM participants p WHERE p.user_id = ?)";
        let (mut sql, mut values): (String, Vec<Value>) = match backend {
            DbBackend::Postgres => (
                format!(
                    "SELECT {COLUMNS} FROM messages m, plainto_tsquery('simple', ?) q WHERE m.search @@ q AND {scope}"
                ),
                vec![query.into(), user.as_uuid().into()],
            ),
            _ => {
                let Some(expression) = fts5_query(query) else {
                    return Ok(Vec::new());
                };
                (
                    format!(
                        "SELECT {COLUMNS} FROM messages_fts f JOIN messages m ON m.rowid = f.rowid WHERE messages_fts MATCH ? AND {scope}"
                    ),
                    vec![expression.into(), user.as_uuid().into()],
                )
            }
        };
        if let Some(conversation) = conversation {
            sql.push_str(" AND m.conversation_id = ?");
            values.push(conversation.as_uuid().into());
        }
        sql.push_str(match backend {
            DbBackend::Postgres => " ORDER BY ts_rank(m.search, q) DESC, m.created_at DESC LIMIT ?",
            _ => " ORDER BY f.rank, m.created_at DESC LIMIT ?",
        });
        values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
        let statement =
            Statement::from_sql_and_values(backend, placeholders(backend, &sql), values);
        let rows = messages::Model::find_by_statement(statement)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        messages_from_rows(rows)
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

/// Stores one send within the caller's transaction.
async fn append_in<C: ConnectionTrait>(db: &C, draft: &MessageDraft) -> Result<Message, RepoError> {
    // Taking the next seq locks the conversation row until commit: concurrent senders queue
    // here, and a rolled-back send gives its seq back, so seqs have no gaps.
    let next_seq = Query::update()
        .table(conversations::Entity)
        .value(
            conversations::Column::LastSeq,
            Expr::col(conversations::Column::LastSeq).add(1),
        )
        .value(conversations::Column::LastActivityAt, draft.created_at)
        .and_where(conversations::Column::Id.eq(draft.conversation_id.as_uuid()))
        .returning_col(conversations::Column::LastSeq)
        .to_owned();
    let seq: i64 = db
        .query_one(&next_seq)
        .await
        .map_err(unexpected)?
        .ok_or_else(|| RepoError::Unexpected(anyhow::anyhow!("conversation vanished")))?
        .try_get("", "last_seq")
        .map_err(unexpected)?;
    let mentions: Vec<Uuid> = draft.mentions.iter().map(UserId::as_uuid).collect();
    let attachments: Vec<Uuid> = draft.attachment_ids.iter().map(|a| a.as_uuid()).collect();
    let row = messages::ActiveModel {
        id: Set(draft.id.as_uuid()),
        conversation_id: Set(draft.conversation_id.as_uuid()),
        seq: Set(seq),
        sender_id: Set(draft.sender_id.as_uuid()),
        kind: Set(draft.kind.as_str().to_owned()),
        content: Set(draft.content.as_str().to_owned()),
        client_message_id: Set(draft
            .client_message_id
            .as_ref()
            .map(|c| c.as_str().to_owned())),
        reply_to: Set(draft.reply_to.map(|r| r.as_uuid())),
        reply_count: Set(0),
        mentions: Set(
            serde_json::to_string(&mentions).map_err(|e| RepoError::Unexpected(e.into()))?
        ),
        attachment_ids: Set(
            serde_json::to_string(&attachments).map_err(|e| RepoError::Unexpected(e.into()))?
        ),
        created_at: Set(draft.created_at),
        edited_at: Set(None),
        deleted_at: Set(None),
    };
    messages::Entity::insert(row.clone())
        .exec_without_returning(db)
        .await
        .map_err(|e| repo_error(e, &["client_message_id"]))?;
    if !attachments.is_empty() {
        // In the same transaction: a message never shows a file it does not own.
        let bound = attachments::Entity::update_many()
            .col_expr(
                attachments::Column::ConversationId,
                Expr::value(draft.conversation_id.as_uuid()),
            )
            .col_expr(
                attachments::Column::MessageId,
                Expr::value(draft.id.as_uuid()),
            )
            .filter(attachments::Column::Id.is_in(attachments.iter().copied()))
            .filter(attachments::Column::UploaderId.eq(draft.sender_id.as_uuid()))
            .filter(super::attachments::unclaimed())
            .exec(db)
            .await
            .map_err(unexpected)?;
        if bound.rows_affected != attachments.len() as u64 {
            return Err(RepoError::Duplicate("attachment_ids"));
        }
    }
    // Whoever writes has read everything before: the sender's markers move with it (the
    // new seq is the conversation's highest, so both only ever move forward here).
    participants::Entity::update_many()
        .col_expr(participants::Column::ReadSeq, Expr::value(seq))
        .col_expr(participants::Column::ReadAt, Expr::value(draft.created_at))
        .col_expr(participants::Column::DeliveredSeq, Expr::value(seq))
        .col_expr(
            participants::Column::DeliveredAt,
            Expr::value(draft.created_at),
        )
        .filter(participants::Column::ConversationId.eq(draft.conversation_id.as_uuid()))
        .filter(participants::Column::UserId.eq(draft.sender_id.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    if let Some(root) = draft.reply_to {
        messages::Entity::update_many()
            .col_expr(
                messages::Column::ReplyCount,
                Expr::col(messages::Column::ReplyCount).add(1),
            )
            .filter(messages::Column::Id.eq(root.as_uuid()))
            .exec(db)
            .await
            .map_err(unexpected)?;
    }
    Ok(draft.stored_at(seq))
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

#[cfg(test)]
mod tests {
    use super::fts5_query;

    #[test]
    fn user_queries_become_safe_fts5_expressions() {
        assert_eq!(
            fts5_query("hello world").as_deref(),
            Some("\"hello\" \"world\"")
        );
        assert_eq!(
            fts5_query("NEAR(\"x\" OR y*").as_deref(),
            Some("\"NEAR\" \"x\" \"OR\" \"y\"")
        );
        assert_eq!(fts5_query("  ** ").as_deref(), None);
    }
}
