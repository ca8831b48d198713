//! Messages: history as a connection by seq, threads, receipts and search. The commands on
//! messages are in `message_commands.rs`.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Result, SimpleObject};
use time::OffsetDateTime;
use uuid::Uuid;

use super::users::{User, shown};
use super::{state, viewer};
use crate::application::error::AppError;
use crate::application::messages::{MessageView, SearchMessages};
use crate::domain::messages::{self as domain, HistoryRange, Reaction};
use crate::domain::shared::{ConversationId, MessageId};

/// A page size argument: 1 to 100, `default` when absent.
pub(super) fn page_size(field: &str, value: Option<i32>, default: u64) -> Result<u64, AppError> {
    match value {
        None => Ok(default),
        Some(n @ 1..=100) => Ok(n as u64),
        Some(_) => Err(AppError::invalid(field, "must be between 1 and 100")),
    }
}

/// A cursor of a message connection: the message's seq.
fn seq_cursor(field: &str, raw: Option<String>) -> Result<Option<i64>, AppError> {
    raw.map(|raw| {
        raw.parse::<i64>()
            .ok()
            .filter(|seq| *seq >= 0)
            .ok_or_else(|| AppError::invalid(field, "is not a cursor from this API"))
    })
    .transpose()
}

/// Who wrote a message: a person, or the server.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Text,
    System,
}

/// A message as its viewer sees it (reactions counted, `me` marked).
pub struct Message(pub MessageView);

#[Object]
impl Message {
    async fn id(&self) -> Uuid {
        self.0.message.id().as_uuid()
    }
    async fn conversation_id(&self) -> Uuid {
        self.0.message.conversation_id().as_uuid()
    }
    /// Per conversation, gap-free and increasing: order and catch up by it.
    async fn seq(&self) -> i64 {
        self.0.message.seq()
    }
    async fn sender_id(&self) -> Uuid {
        self.0.message.sender_id().as_uuid()
    }
    /// `SYSTEM` when the server wrote it (then `senderId` is the user it is about).
    async fn kind(&self) -> MessageKind {
        match self.0.message.kind() {
            domain::MessageKind::Text => MessageKind::Text,
            domain::MessageKind::System => MessageKind::System,
        }
    }
    async fn sender(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        shown(ctx, self.0.message.sender_id()).await
    }
    /// `null` once deleted.
    async fn content(&self) -> Option<&str> {
        let m = &self.0.message;
        (!m.is_deleted()).then_some(m.content())
    }
    /// The sender's idempotency key, echoed so the sending device can match its message.
    async fn client_message_id(&self) -> Option<&str> {
        self.0.message.client_message_id()
    }
    async fn reply_to(&self) -> Option<Uuid> {
        self.0.message.reply_to().map(|id| id.as_uuid())
    }
    async fn reply_count(&self) -> i64 {
        self.0.message.reply_count()
    }
    async fn mentions(&self) -> Vec<Uuid> {
        self.0
            .message
            .mentions()
            .iter()
            .map(|u| u.as_uuid())
            .collect()
    }
    /// Files sent with it; empty once deleted.
    async fn attachment_ids(&self) -> Vec<Uuid> {
        let m = &self.0.message;
        if m.is_deleted() {
            return Vec::new();
        }
        m.attachment_ids().iter().map(|a| a.as_uuid()).collect()
    }
    async fn reactions(&self) -> Vec<ReactionCount> {
        self.0.reactions.iter().map(ReactionCount::from).collect()
    }
    async fn created_at(&self) -> OffsetDateTime {
        self.0.message.created_at()
    }
    async fn edited_at(&self) -> Option<OffsetDateTime> {
        self.0.message.edited_at()
    }
    async fn deleted(&self) -> bool {
        self.0.message.is_deleted()
    }
    /// Who has it delivered and who has read it (the sender is not listed).
    #[graphql(complexity = 20)]
    async fn receipts(&self, ctx: &Context<'_>) -> Result<Vec<Receipt>> {
        let m = &self.0.message;
        let view = state(ctx)
            .messages
            .receipts
            .handle(viewer(ctx)?, m.conversation_id(), m.id())
            .await?;
        Ok(view
            .receipts
            .into_iter()
            .map(|r| Receipt {
                user_id: r.user_id.as_uuid(),
                delivered_at: r.delivered_at,
                read_at: r.read_at,
            })
            .collect())
    }
}

/// How many reacted with one emoji, and whether the viewer is among them.
#[derive(SimpleObject)]
pub struct ReactionCount {
    emoji: String,
    count: u64,
    me: bool,
}

impl From<&Reaction> for ReactionCount {
    fn from(r: &Reaction) -> Self {
        Self {
            emoji: r.emoji.clone(),
            count: r.count,
            me: r.me,
        }
    }
}

#[derive(SimpleObject)]
pub struct Receipt {
    user_id: Uuid,
    delivered_at: Option<OffsetDateTime>,
    read_at: Option<OffsetDateTime>,
}

/// History by seq. Backward (`last`, `before`; the default): the newest page, or the messages
/// before a cursor. Forward (`first`, `after`): the messages after a cursor, oldest first,
/// which is how a client catches up. Edges are ascending by seq either way.
pub(super) async fn history(
    ctx: &Context<'_>,
    conversation: ConversationId,
    page: HistoryArgs,
) -> Result<Connection<String, Message>> {
    let me = viewer(ctx)?;
    let forward = page.first.is_some() || page.after.is_some();
    if forward && (page.last.is_some() || page.before.is_some()) {
        return Err(AppError::invalid("first", "give first/after or last/before, not both").into());
    }
    let after = seq_cursor("after", page.after)?;
    let before = seq_cursor("before", page.before)?.filter(|seq| *seq >= 1);
    let range = if forward {
        HistoryRange {
            before_seq: None,
            after_seq: Some(after.unwrap_or(0)),
            limit: page_size("first", page.first, 50)?,
        }
    } else {
        HistoryRange {
            before_seq: before,
            after_seq: None,
            limit: page_size("last", page.last, 50)?,
        }
    };
    let found = state(ctx)
        .messages
        .history
        .handle(me, conversation, range)
        .await?;
    let (has_previous, has_next) = if forward {
        (after.unwrap_or(0) > 0, found.has_more)
    } else {
        (found.has_more, before.is_some())
    };
    let mut connection = Connection::new(has_previous, has_next);
    connection.edges.extend(
        found
            .messages
            .into_iter()
            .map(|m| Edge::new(m.message.seq().to_string(), Message(m))),
    );
    Ok(connection)
}

/// The arguments of a message connection.
pub(super) struct HistoryArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// A message and the replies of its thread, oldest first.
pub struct Thread {
    root: MessageView,
    replies: Connection<String, Message>,
}

#[Object]
impl Thread {
    async fn root(&self) -> Message {
        Message(self.root.clone())
    }
    async fn replies(&self) -> &Connection<String, Message> {
        &self.replies
    }
}

#[derive(Default)]
pub struct MessagesQuery;

#[Object]
impl MessagesQuery {
    /// A message's thread: the root and its replies after `after`, oldest first.
    #[graphql(complexity = "first.unwrap_or(50).max(0) as usize * child_complexity")]
    async fn thread(
        &self,
        ctx: &Context<'_>,
        conversation_id: Uuid,
        message_id: Uuid,
        #[graphql(desc = "1 to 100, default 50.")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Thread> {
        let after = seq_cursor("after", after)?.unwrap_or(0);
        let limit = page_size("first", first, 50)?;
        let thread = state(ctx)
            .messages
            .thread
            .handle(
                viewer(ctx)?,
                ConversationId::from_uuid(conversation_id),
                MessageId::from_uuid(message_id),
                after,
                limit,
            )
            .await?;
        let mut replies = Connection::new(after > 0, thread.has_more);
        replies.edges.extend(
            thread
                .replies
                .into_iter()
                .map(|m| Edge::new(m.message.seq().to_string(), Message(m))),
        );
        Ok(Thread {
            root: thread.root,
            replies,
        })
    }

    /// Full-text search over the caller's conversations, best match first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn search_messages(
        &self,
        ctx: &Context<'_>,
        query: String,
        conversation_id: Option<Uuid>,
        #[graphql(desc = "1 to 100, default 20.")] first: Option<i32>,
    ) -> Result<Vec<Message>> {
        if query.trim().is_empty() || query.chars().count() > 200 {
            return Err(AppError::invalid("query", "must be 1 to 200 characters long").into());
        }
        let search = SearchMessages {
            query,
            conversation_id: conversation_id.map(ConversationId::from_uuid),
            limit: page_size("first", first, 20)?,
        };
        let found = state(ctx)
            .messages
            .search
            .handle(viewer(ctx)?, search)
            .await?;
        Ok(found.into_iter().map(Message).collect())
    }
}
