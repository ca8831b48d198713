//! The chat list: one statement for a page, with unread counts and each last message.

use std::sync::LazyLock;

use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{MEMBER_COLUMNS, MemberRow, SeaOrmConversationRepository};
use crate::domain::conversations::{
    Activity, AsOfLog, ChatListCursor, ChatListEntry, ChatListQueries, ConversationKind,
    LastMessage,
};
use crate::domain::shared::{ConversationId, MessageId, RepoError, UserId};
use crate::infrastructure::persistence::{placeholders, unexpected};

/// The newest event log position committed when the statement read (the highest pruned one
/// when the log is empty): a copy kept by the log is exact for this read once it is there.
const LOG_HEAD: &str = "COALESCE((SELECT MAX(position) FROM outbox), \
     (SELECT pruned_through FROM outbox_state WHERE id = 1), 0)";

/// SQLite picks the primary key's index over the covering `(id, last_activity_at)` unless
/// told (it then reads each conversation's row for its activity).
fn activity_cover(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Sqlite => " INDEXED BY idx_conversations_id_activity",
        _ => "",
    }
}

static HEAD: LazyLock<String> = LazyLock::new(|| {
    CHAT_LIST_HEAD
        .replace("{MEMBER_COLUMNS}", MEMBER_COLUMNS)
        .replace("{LOG_HEAD}", LOG_HEAD)
});

#[async_trait]
impl ChatListQueries for SeaOrmConversationRepository {
    #[tracing::instrument(name = "db.chat_list", skip_all)]
    async fn chat_list(
        &self,
        user: UserId,
        cursor: Option<ChatListCursor>,
        limit: u64,
    ) -> Result<Vec<ChatListEntry>, RepoError> {
        let backend = self.db.get_database_backend();
        let cover = activity_cover(backend);
        let mut sql = format!(
            "{}(SELECT c.id, c.last_activity_at FROM participants p \
             JOIN conversations c{cover} ON c.id = p.conversation_id WHERE p.user_id = ?",
            *HEAD
        );
        let mut values: Vec<Value> = vec![user.as_uuid().into()];
        if let Some(cursor) = cursor {
            sql.push_str(" AND (c.last_activity_at < ? OR (c.last_activity_at = ? AND c.id < ?))");
            values.extend([
                cursor.last_activity_at.into(),
                cursor.last_activity_at.into(),
                cursor.id.as_uuid().into(),
            ]);
        }
        sql.push_str(" ORDER BY c.last_activity_at DESC, c.id DESC LIMIT ?) page");
        sql.push_str(CHAT_LIST_TAIL);
        values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
        values.push(user.as_uuid().into());
        Ok(self.chat_rows_by(backend, &sql, values).await?.value)
    }

    #[tracing::instrument(name = "db.activity_of_member", skip_all)]
    async fn activity_of_member(&self, user: UserId) -> Result<AsOfLog<Vec<Activity>>, RepoError> {
        let backend = self.db.get_database_backend();
        let cover = activity_cover(backend);
        let sql = format!(
            "SELECT c.id, c.last_activity_at, {LOG_HEAD} AS log_head FROM participants p \
             JOIN conversations c{cover} ON c.id = p.conversation_id WHERE p.user_id = ?"
        );
        let statement = Statement::from_sql_and_values(
            backend,
            placeholders(backend, &sql),
            [user.as_uuid().into()],
        );
        let rows = ActivityRow::find_by_statement(statement)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(AsOfLog {
            log_head: rows.first().map(|row| row.log_head),
            value: rows
                .into_iter()
                .map(|row| Activity {
                    id: ConversationId::from_uuid(row.id),
                    last_activity_at: row.last_activity_at,
                })
                .collect(),
        })
    }

    #[tracing::instrument(name = "db.chat_rows", skip_all)]
    async fn chat_rows(
        &self,
        user: UserId,
        ids: &[ConversationId],
    ) -> Result<AsOfLog<Vec<ChatListEntry>>, RepoError> {
        if ids.is_empty() {
            return Ok(AsOfLog {
                value: Vec::new(),
                log_head: None,
            });
        }
        let backend = self.db.get_database_backend();
        let (page, mut values) = page_of(backend, ids);
        let sql = format!("{}{page}{CHAT_LIST_TAIL}", *HEAD);
        values.push(user.as_uuid().into());
        self.chat_rows_by(backend, &sql, values).await
    }
}

/// The page of `ids` with their activity, and its values. PostgreSQL gets the ids in one
/// text parameter, unnested: one statement for every page size, whose generic plan (used
/// after a few runs, with no planning) is as fast as a planned one. With a parameter per id
/// PostgreSQL planned every page afresh, more than half of the statement's time.
fn page_of(backend: DbBackend, ids: &[ConversationId]) -> (String, Vec<Value>) {
    match backend {
        DbBackend::Postgres => {
            let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
            (
                "(SELECT c.id, c.last_activity_at FROM unnest(string_to_array(?, ',')::uuid[]) \
                 AS chosen(id) JOIN conversations c ON c.id = chosen.id) page"
                    .to_owned(),
                vec![list.join(",").into()],
            )
        }
        _ => (
            format!(
                "(SELECT c.id, c.last_activity_at FROM conversations c{} WHERE c.id IN ({})) page",
                activity_cover(backend),
                vec!["?"; ids.len()].join(", ")
            ),
            ids.iter().map(|id| id.as_uuid().into()).collect(),
        ),
    }
}

impl SeaOrmConversationRepository {
    async fn chat_rows_by(
        &self,
        backend: DbBackend,
        sql: &str,
        values: Vec<Value>,
    ) -> Result<AsOfLog<Vec<ChatListEntry>>, RepoError> {
        let statement = Statement::from_sql_and_values(backend, placeholders(backend, sql), values);
        let rows = ChatRow::find_by_statement(statement)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        let log_head = rows.first().map(|row| row.log_head);
        let value = rows
            .into_iter()
            .map(ChatRow::into_entry)
            .collect::<Result<_, _>>()?;
        Ok(AsOfLog { value, log_head })
    }
}

#[derive(Debug, FromQueryResult)]
struct ActivityRow {
    id: Uuid,
    last_activity_at: OffsetDateTime,
    log_head: i64,
}

impl ChatRow {
    fn into_entry(row: Self) -> Result<ChatListEntry, RepoError> {
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
    log_head: i64,
}

// The page is chosen first, sorting only ids by activity (from an index on the user's
// memberships, or in memory), and only its rows are then read whole, with a last message, an
// unread count and, for direct chats only, the other side. Unread counts come from the
// markers: every seq up to `last_seq` is a message, and a sender's own markers move past what
// they send, so what is unread is `last_seq - read_seq` less the deleted messages after
// `read_seq` (a partial index).
// The statement begins with SELECT (the page is a subquery, not a CTE) so that on SQLite it
// goes to the read connections instead of queueing behind writes.
const CHAT_LIST_HEAD: &str = "\
SELECT {MEMBER_COLUMNS},
       c.last_seq - p.read_seq - (SELECT COUNT(*) FROM messages d
         WHERE d.conversation_id = c.id AND d.seq > p.read_seq
           AND d.deleted_at IS NOT NULL) AS unread,
       CASE WHEN c.kind = 'direct' THEN (SELECT o.user_id FROM participants o
         WHERE o.conversation_id = c.id AND o.user_id <> p.user_id LIMIT 1) END AS other_user,
       lm.id AS lm_id, lm.seq AS lm_seq, lm.sender_id AS lm_sender, lm.content AS lm_content,
       lm.created_at AS lm_created_at, lm.deleted_at AS lm_deleted_at,
       {LOG_HEAD} AS log_head
FROM ";

const CHAT_LIST_TAIL: &str = "
JOIN conversations c ON c.id = page.id
JOIN participants p ON p.conversation_id = page.id AND p.user_id = ?
LEFT JOIN messages lm ON lm.conversation_id = c.id AND lm.seq = c.last_seq
ORDER BY page.last_activity_at DESC, page.id DESC";
