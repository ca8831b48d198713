//! Sending: group commit of waiting sends, each under the next seq of its conversation.

use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::{GROUP_COMMIT_MAX, Waiting};
use crate::domain::messages::{Message, MessageDraft, MessageKind};
use crate::domain::shared::{DomainEvent, RepoError, UserId};
use crate::infrastructure::persistence::db::Db;
use crate::infrastructure::persistence::entities::{
    attachments, conversations, messages, participants,
};
use crate::infrastructure::persistence::message_batch;
use crate::infrastructure::persistence::outbox::{self, OutboxSignal};
use crate::infrastructure::persistence::{repo_error, unexpected};

fn created(message: &Message) -> DomainEvent {
    DomainEvent::MessageCreated {
        message: std::sync::Arc::new(message.clone()),
    }
}

/// Stores every send waiting in `queue` in one transaction: the plain ones in one batch, the
/// others (and a refused batch's) each in a savepoint, so that one refused send (a duplicate
/// `client_message_id`, a sender no longer a member) leaves the others in. One commit (and one
/// fsync) then serves the whole group.
pub(super) async fn group_commit(db: Db, signal: OutboxSignal, mut queue: mpsc::Receiver<Waiting>) {
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
    let mut txn = db.begin().await.map_err(unexpected)?;
    let mut results: Vec<Option<Result<Message, RepoError>>> = group.iter().map(|_| None).collect();
    let plain: Vec<usize> = (0..group.len())
        .filter(|i| message_batch::plain(&group[*i].0))
        .collect();
    if plain.len() > 1 {
        // The batch is the transaction's first change: refused, the whole transaction goes
        // back (no savepoint to set and release on every group).
        let drafts: Vec<&MessageDraft> = plain.iter().map(|i| &group[*i].0).collect();
        match message_batch::append_batch(&txn, &drafts).await {
            Ok(messages) => {
                for (i, message) in plain.iter().zip(messages) {
                    results[*i] = Some(Ok(message));
                }
            }
            // A duplicate key or a sender not in the conversation: the sends go in one by
            // one below, which tells the refused one apart.
            Err(RepoError::Duplicate(_) | RepoError::Gone(_)) => {
                txn.rollback().await.map_err(unexpected)?;
                txn = db.begin().await.map_err(unexpected)?;
            }
            Err(error) => return Err(error),
        }
    }
    for ((draft, _, _), result) in group.iter().zip(results.iter_mut()) {
        if result.is_some() {
            continue;
        }
        if group.len() == 1 {
            // Alone in the transaction: a refusal rolls all of it back, no savepoint needed.
            match append_in(&txn, draft).await {
                Ok(message) => *result = Some(Ok(message)),
                Err(error) => {
                    txn.rollback().await.map_err(unexpected)?;
                    return Ok(vec![Err(error)]);
                }
            }
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

/// Stores one send within the caller's transaction.
pub(super) async fn append_in<C: ConnectionTrait>(
    db: &C,
    draft: &MessageDraft,
) -> Result<Message, RepoError> {
    // Taking the next seq locks the conversation row until commit: concurrent senders queue
    // here, and a rolled-back send gives its seq back, so seqs have no gaps.
    let next_seq = Query::update()
        .table(conversations::Entity)
        .value(
            conversations::Column::LastSeq,
            Expr::col(conversations::Column::LastSeq).add(1),
        )
        // Activity never moves back (another instance's clock may be behind).
        .value(
            conversations::Column::LastActivityAt,
            Func::greatest([
                Expr::col(conversations::Column::LastActivityAt),
                Expr::value(draft.created_at),
            ]),
        )
        .and_where(conversations::Column::Id.eq(draft.conversation_id.as_uuid()))
        .returning_col(conversations::Column::LastSeq)
        .to_owned();
    let seq: i64 = db
        .query_one(&next_seq)
        .await
        .map_err(unexpected)?
        .ok_or(RepoError::Gone("conversation"))?
        .try_get("", "last_seq")
        .map_err(unexpected)?;
    // Whoever writes has read everything before: the sender's markers move with it (the
    // new seq is the conversation's highest, so both only ever move forward here). No row:
    // the sender is not a member as this transaction writes, which refuses their own message
    // before a retry's key could find the original.
    let moved = participants::Entity::update_many()
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
    if moved.rows_affected == 0 && draft.kind == MessageKind::Text {
        return Err(RepoError::Gone("member"));
    }
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
            .filter(crate::infrastructure::persistence::attachments::unclaimed())
            .exec(db)
            .await
            .map_err(unexpected)?;
        if bound.rows_affected != attachments.len() as u64 {
            return Err(RepoError::Duplicate("attachment_ids"));
        }
    }
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
