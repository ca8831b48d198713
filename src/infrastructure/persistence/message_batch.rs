//! The fast path of group commit: a group's plain sends (no files, not replies) stored with
//! three statements whatever their number: one seq bump for every conversation, one multi-row
//! insert, one update of the senders' markers. A duplicate `client_message_id` fails the insert
//! (the unique index decides, with no look-up first), and so does a sender who is not a member
//! (the markers' update misses their row); the caller then stores that group one send at a
//! time, which tells the refused send apart.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, EntityTrait, Set, Statement, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use super::entities::messages;
use super::{placeholders, repo_error, unexpected};
use crate::domain::messages::{Message, MessageDraft};
use crate::domain::shared::{RepoError, UserId};

/// Whether `draft` can go through the batch: it binds no files and bumps no reply count.
pub(super) fn plain(draft: &MessageDraft) -> bool {
    draft.attachment_ids.is_empty() && draft.reply_to.is_none()
}

/// Stores `drafts` (all `plain`), seqs given in their order within each conversation.
pub(super) async fn append_batch<C: ConnectionTrait>(
    db: &C,
    drafts: &[&MessageDraft],
) -> Result<Vec<Message>, RepoError> {
    // Per conversation: how many seqs to take, and its newest activity.
    let mut taken: BTreeMap<Uuid, (i64, OffsetDateTime)> = BTreeMap::new();
    for draft in drafts {
        let entry = taken
            .entry(draft.conversation_id.as_uuid())
            .or_insert((0, draft.created_at));
        entry.0 += 1;
        entry.1 = entry.1.max(draft.created_at);
    }
    let mut next = bump_seqs(db, &taken).await?;
    let messages: Vec<Message> = drafts
        .iter()
        .map(|draft| {
            let seq = next
                .get_mut(&draft.conversation_id.as_uuid())
                .map(|seq| {
                    *seq += 1;
                    *seq - 1
                })
                .ok_or(RepoError::Gone("conversation"))?;
            Ok(draft.stored_at(seq))
        })
        .collect::<Result<_, RepoError>>()?;
    let rows: Vec<messages::ActiveModel> = messages.iter().map(row).collect::<Result<_, _>>()?;
    messages::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map_err(|e| repo_error(e, &["client_message_id"]))?;
    move_sender_markers(db, &messages).await?;
    Ok(messages)
}

/// Takes `count` seqs of each conversation; the first of each, by conversation. The update
/// locks the rows until commit, so seqs stay gap-free as in the one-send path.
async fn bump_seqs<C: ConnectionTrait>(
    db: &C,
    taken: &BTreeMap<Uuid, (i64, OffsetDateTime)>,
) -> Result<BTreeMap<Uuid, i64>, RepoError> {
    let backend = db.get_database_backend();
    let whens = " WHEN ? THEN ?".repeat(taken.len());
    let ids = vec!["?"; taken.len()].join(", ");
    // Activity never moves back (another instance's clock may be behind): the chat list's
    // order in memory applies it as a maximum too.
    let greatest = match backend {
        sea_orm::DbBackend::Sqlite => "MAX",
        _ => "GREATEST",
    };
    let sql = format!(
        "UPDATE conversations SET last_seq = last_seq + CASE id{whens} END, \
         last_activity_at = {greatest}(last_activity_at, CASE id{whens} END) \
         WHERE id IN ({ids}) RETURNING id, last_seq"
    );
    let mut values: Vec<Value> = Vec::with_capacity(taken.len() * 5);
    for (id, (count, _)) in taken {
        values.extend([(*id).into(), (*count).into()]);
    }
    for (id, (_, at)) in taken {
        values.extend([(*id).into(), (*at).into()]);
    }
    values.extend(taken.keys().map(|id| Value::from(*id)));
    let statement = Statement::from_sql_and_values(backend, placeholders(backend, &sql), values);
    let rows = db.query_all_raw(statement).await.map_err(unexpected)?;
    let mut first = BTreeMap::new();
    for row in rows {
        let id: Uuid = row.try_get("", "id").map_err(unexpected)?;
        let last: i64 = row.try_get("", "last_seq").map_err(unexpected)?;
        let count = taken.get(&id).map_or(0, |(count, _)| *count);
        first.insert(id, last - count + 1);
    }
    Ok(first)
}

/// Whoever writes has read everything before: each sender's markers move to their newest
/// message here (the conversation's highest seq, so they only ever move forward). A sender
/// whose row is missing is not a member as this transaction writes: `Gone("member")`.
async fn move_sender_markers<C: ConnectionTrait>(
    db: &C,
    messages: &[Message],
) -> Result<(), RepoError> {
    let mut newest: BTreeMap<(Uuid, Uuid), (i64, OffsetDateTime)> = BTreeMap::new();
    for m in messages {
        let key = (m.conversation_id().as_uuid(), m.sender_id().as_uuid());
        let entry = newest.entry(key).or_insert((m.seq(), m.created_at()));
        if m.seq() > entry.0 {
            *entry = (m.seq(), m.created_at());
        }
    }
    let backend = db.get_database_backend();
    let when = " WHEN conversation_id = ? AND user_id = ? THEN ?";
    let seqs = when.repeat(newest.len());
    let which = vec!["(conversation_id = ? AND user_id = ?)"; newest.len()].join(" OR ");
    let sql = format!(
        "UPDATE participants SET read_seq = CASE{seqs} END, read_at = CASE{seqs} END, \
         delivered_seq = CASE{seqs} END, delivered_at = CASE{seqs} END WHERE {which}"
    );
    let mut values: Vec<Value> = Vec::with_capacity(newest.len() * 14);
    for column in 0..4 {
        for ((conversation, user), (seq, at)) in &newest {
            let value = if column % 2 == 0 {
                Value::from(*seq)
            } else {
                Value::from(*at)
            };
            values.extend([(*conversation).into(), (*user).into(), value]);
        }
    }
    for (conversation, user) in newest.keys() {
        values.extend([(*conversation).into(), (*user).into()]);
    }
    let statement = Statement::from_sql_and_values(backend, placeholders(backend, &sql), values);
    let moved = db.execute_raw(statement).await.map_err(unexpected)?;
    if moved.rows_affected() < newest.len() as u64 {
        return Err(RepoError::Gone("member"));
    }
    Ok(())
}

fn row(message: &Message) -> Result<messages::ActiveModel, RepoError> {
    let mentions: Vec<Uuid> = message.mentions().iter().map(UserId::as_uuid).collect();
    let json =
        |ids: &[Uuid]| serde_json::to_string(ids).map_err(|e| RepoError::Unexpected(e.into()));
    Ok(messages::ActiveModel {
        id: Set(message.id().as_uuid()),
        conversation_id: Set(message.conversation_id().as_uuid()),
        seq: Set(message.seq()),
        sender_id: Set(message.sender_id().as_uuid()),
        kind: Set(message.kind().as_str().to_owned()),
        content: Set(message.content().to_owned()),
        client_message_id: Set(message.client_message_id().map(str::to_owned)),
        reply_to: Set(None),
        reply_count: Set(0),
        mentions: Set(json(&mentions)?),
        attachment_ids: Set(json(&[])?),
        created_at: Set(message.created_at()),
        edited_at: Set(None),
        deleted_at: Set(None),
    })
}
