//! History pages, threads and reaction counts.

use std::collections::HashMap;

use async_trait::async_trait;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Statement, Value,
};
use uuid::Uuid;

use super::{COLUMNS, SeaOrmMessageRepository, message_from_row, messages_from_rows};
use crate::domain::messages::HistoryQueries;
use crate::domain::messages::{
    HistoryRange, HistoryState, Message, ReactedMessage, Reaction, Reactors,
};
use crate::domain::shared::{ConversationId, MessageId, RepoError, UserId};
use crate::infrastructure::persistence::entities::{messages, reactions};
use crate::infrastructure::persistence::{placeholders, unexpected};

#[async_trait]
impl HistoryQueries for SeaOrmMessageRepository {
    #[tracing::instrument(name = "db.history", skip_all)]
    async fn history(
        &self,
        conversation: ConversationId,
        range: HistoryRange,
    ) -> Result<Vec<ReactedMessage>, RepoError> {
        let (sql, values) = page_statement(conversation, range, None);
        let rows = self.page_rows::<PageRow>(&sql, values).await?;
        page_of(
            rows.into_iter()
                .map(|row| (row.message, row.r_emoji, row.r_user)),
        )
    }

    #[tracing::instrument(name = "db.member_history", skip_all)]
    async fn member_history(
        &self,
        conversation: ConversationId,
        member: UserId,
        range: HistoryRange,
    ) -> Result<(Option<HistoryState>, Vec<ReactedMessage>), RepoError> {
        let (sql, values) = page_statement(conversation, range, Some(member));
        let rows = self.page_rows::<MemberPageRow>(&sql, values).await?;
        let state = rows.first().map(|row| HistoryState {
            last_seq: row.c_last_seq,
            version: row.c_history_version,
        });
        let page = page_of(
            rows.into_iter()
                .map(|row| (row.page.message, row.page.r_emoji, row.page.r_user)),
        )?;
        Ok((state, page))
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
}

/// The page is one index range on (conversation_id, seq); its reactions join on their primary
/// key. Forward from `after_seq`; otherwise back from `before_seq` or the newest. With a
/// `member`, only if they are in the conversation, and with its state as of the same read.
fn page_statement(
    conversation: ConversationId,
    range: HistoryRange,
    member: Option<UserId>,
) -> (String, Vec<Value>) {
    let mut sql = format!("SELECT {COLUMNS}, r.emoji AS r_emoji, r.user_id AS r_user");
    if member.is_some() {
        sql.push_str(", c.last_seq AS c_last_seq, c.history_version AS c_history_version");
    }
    sql.push_str(&format!(
        " FROM (SELECT {COLUMNS} FROM messages m WHERE m.conversation_id = ?"
    ));
    let mut values: Vec<Value> = vec![conversation.as_uuid().into()];
    if let Some(before) = range.before_seq {
        sql.push_str(" AND m.seq < ?");
        values.push(before.into());
    }
    if let Some(after) = range.after_seq {
        sql.push_str(" AND m.seq > ?");
        values.push(after.into());
    }
    if let Some(member) = member {
        // Bound, not correlated: evaluated once, not per row.
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM participants p \
             WHERE p.conversation_id = ? AND p.user_id = ?)",
        );
        values.push(conversation.as_uuid().into());
        values.push(member.as_uuid().into());
    }
    sql.push_str(if range.after_seq.is_some() {
        " ORDER BY m.seq ASC LIMIT ?) m"
    } else {
        " ORDER BY m.seq DESC LIMIT ?) m"
    });
    values.push(i64::try_from(range.limit).unwrap_or(i64::MAX).into());
    if member.is_some() {
        sql.push_str(" JOIN conversations c ON c.id = m.conversation_id");
    }
    sql.push_str(
        " LEFT JOIN reactions r ON r.message_id = m.id AND m.deleted_at IS NULL \
         ORDER BY m.seq, r.created_at",
    );
    (sql, values)
}

impl SeaOrmMessageRepository {
    async fn page_rows<R: FromQueryResult>(
        &self,
        sql: &str,
        values: Vec<Value>,
    ) -> Result<Vec<R>, RepoError> {
        let backend = self.db.get_database_backend();
        let statement = Statement::from_sql_and_values(backend, placeholders(backend, sql), values);
        R::find_by_statement(statement)
            .all(&self.db)
            .await
            .map_err(unexpected)
    }
}

/// Rows of messages, each repeated once per reaction, into the page.
fn page_of(
    rows: impl Iterator<Item = (messages::Model, Option<String>, Option<Uuid>)>,
) -> Result<Vec<ReactedMessage>, RepoError> {
    let mut page: Vec<ReactedMessage> = Vec::new();
    for (message, emoji, user) in rows {
        if page
            .last()
            .is_none_or(|last| last.message.id().as_uuid() != message.id)
        {
            page.push(ReactedMessage {
                message: message_from_row(message)?,
                reactions: Vec::new(),
            });
        }
        if let (Some(last), Some((emoji, user))) = (page.last_mut(), emoji.zip(user)) {
            Reactors::add(&mut last.reactions, &emoji, UserId::from_uuid(user));
        }
    }
    Ok(page)
}

/// A member's history page row, with the conversation's state.
#[derive(Debug, FromQueryResult)]
struct MemberPageRow {
    #[sea_orm(nested)]
    page: PageRow,
    c_last_seq: i64,
    c_history_version: i64,
}

/// A history page's row: a message, and one of its reactions if it has any.
#[derive(Debug, FromQueryResult)]
struct PageRow {
    #[sea_orm(nested)]
    message: messages::Model,
    r_emoji: Option<String>,
    r_user: Option<Uuid>,
}
