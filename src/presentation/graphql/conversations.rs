//! Conversations: the chat list, and one conversation with its participants and history.
//! The commands on them are in `conversation_commands.rs`.

use std::collections::HashMap;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, Object, Result};
use time::OffsetDateTime;
use uuid::Uuid;

use super::messages::{HistoryArgs, Message, history, page_size};
use super::users::{User, shown};
use super::{state, viewer};
use crate::application::conversations::ConversationView;
use crate::application::error::AppError;
use crate::domain::conversations::{self as domain, ChatListEntry};
use crate::domain::shared::{ConversationId, UserId};
use crate::domain::users::Profile;
use crate::presentation::http::chat_list::{decode_cursor, encode_cursor};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::conversations::ConversationKind")]
pub enum ConversationKind {
    /// Exactly two users.
    Direct,
    /// Named, with roles; everyone posts.
    Group,
    /// Named, with roles; only owners and admins post.
    Channel,
    /// A customer and the business's agent on their case (opened through the business API,
    /// never created here).
    Business,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::conversations::Role")]
pub enum Role {
    Owner,
    Admin,
    Member,
}

/// One of the caller's conversations.
pub struct Conversation(pub ConversationView);

#[Object]
impl Conversation {
    async fn id(&self) -> Uuid {
        self.0.conversation.id.as_uuid()
    }
    async fn kind(&self) -> ConversationKind {
        self.0.conversation.kind.into()
    }
    async fn title(&self) -> Option<&str> {
        self.0.conversation.title.as_ref().map(|t| t.as_str())
    }
    async fn description(&self) -> &str {
        self.0.conversation.description.as_str()
    }
    async fn avatar_id(&self) -> Option<Uuid> {
        self.0.conversation.avatar_id
    }
    async fn created_by(&self) -> Uuid {
        self.0.conversation.created_by.as_uuid()
    }
    async fn created_at(&self) -> OffsetDateTime {
        self.0.conversation.created_at
    }
    async fn updated_at(&self) -> OffsetDateTime {
        self.0.conversation.updated_at
    }
    /// The seq of the newest message (0: none yet).
    async fn last_seq(&self) -> i64 {
        self.0.conversation.last_seq
    }
    async fn participant_count(&self) -> u64 {
        self.0.participant_count
    }
    /// The caller's role.
    async fn role(&self) -> Role {
        self.0.me.role.into()
    }
    async fn muted(&self) -> bool {
        self.0.me.muted
    }
    async fn read_seq(&self) -> i64 {
        self.0.me.read_seq
    }
    async fn delivered_seq(&self) -> i64 {
        self.0.me.delivered_seq
    }
    /// The other participant of a direct chat.
    async fn other_user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        match self.0.other_user {
            Some(id) => shown(ctx, id).await,
            None => Ok(None),
        }
    }
    /// Participants with their roles and markers.
    #[graphql(complexity = "100 * child_complexity")]
    async fn participants(&self, ctx: &Context<'_>) -> Result<Vec<Participant>> {
        let list = state(ctx)
            .conversations
            .participants
            .handle(viewer(ctx)?, self.0.conversation.id)
            .await?;
        Ok(list.into_iter().map(Participant).collect())
    }
    /// History by seq; see `Query.conversation`. Edges are ascending by seq.
    #[graphql(complexity = "first.or(last).unwrap_or(50).max(0) as usize * child_complexity")]
    async fn messages(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Messages after `after`, oldest first (1 to 100).")] first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "The newest messages, or those before `before` (1 to 100, default 50).")]
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, Message>> {
        let page = HistoryArgs {
            first,
            after,
            last,
            before,
        };
        history(ctx, self.0.conversation.id, page).await
    }
}

pub struct Participant(pub domain::Participant);

#[Object]
impl Participant {
    async fn user_id(&self) -> Uuid {
        self.0.user_id.as_uuid()
    }
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        shown(ctx, self.0.user_id).await
    }
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    async fn joined_at(&self) -> OffsetDateTime {
        self.0.joined_at
    }
    async fn read_seq(&self) -> i64 {
        self.0.read_seq
    }
    async fn delivered_seq(&self) -> i64 {
        self.0.delivered_seq
    }
}

/// A row of the chat list.
pub struct ChatListItem {
    entry: ChatListEntry,
    other: Option<Profile>,
    /// The last message's sender, when the page loaded them all at once.
    sender: Option<Option<Profile>>,
}

#[Object]
impl ChatListItem {
    async fn id(&self) -> Uuid {
        self.entry.conversation.id.as_uuid()
    }
    async fn kind(&self) -> ConversationKind {
        self.entry.conversation.kind.into()
    }
    async fn title(&self) -> Option<&str> {
        self.entry.conversation.title.as_ref().map(|t| t.as_str())
    }
    async fn avatar_id(&self) -> Option<Uuid> {
        self.entry.conversation.avatar_id
    }
    async fn last_seq(&self) -> i64 {
        self.entry.conversation.last_seq
    }
    async fn last_activity_at(&self) -> OffsetDateTime {
        self.entry.conversation.last_activity_at
    }
    /// Messages after the caller's read marker, not theirs, not deleted.
    async fn unread_count(&self) -> i64 {
        self.entry.unread
    }
    async fn muted(&self) -> bool {
        self.entry.me.muted
    }
    async fn role(&self) -> Role {
        self.entry.me.role.into()
    }
    async fn read_seq(&self) -> i64 {
        self.entry.me.read_seq
    }
    async fn last_message(&self) -> Option<LastMessage> {
        let message = self.entry.last_message.clone()?;
        Some(LastMessage {
            message,
            sender: self.sender.clone(),
        })
    }
    /// The other participant of a direct chat.
    async fn other_user(&self) -> Option<User> {
        self.other.clone().map(User)
    }
}

pub struct LastMessage {
    message: domain::LastMessage,
    sender: Option<Option<Profile>>,
}

#[Object]
impl LastMessage {
    async fn id(&self) -> Uuid {
        self.message.id.as_uuid()
    }
    async fn seq(&self) -> i64 {
        self.message.seq
    }
    async fn sender_id(&self) -> Uuid {
        self.message.sender_id.as_uuid()
    }
    async fn sender(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        match &self.sender {
            Some(loaded) => Ok(loaded.clone().map(User)),
            None => shown(ctx, self.message.sender_id).await,
        }
    }
    /// `null` when deleted.
    async fn content(&self) -> Option<&str> {
        self.message.content.as_deref()
    }
    async fn created_at(&self) -> OffsetDateTime {
        self.message.created_at
    }
}

/// Every last message's sender on a page in one statement, when the query asks for them
/// (the per-request loader would batch them only as far as its timing allows).
async fn page_senders(
    ctx: &Context<'_>,
    me: UserId,
    entries: &[ChatListEntry],
) -> Result<Option<HashMap<UserId, Profile>>> {
    let node = ctx.look_ahead().field("edges").field("node");
    if !node.field("lastMessage").field("sender").exists() {
        return Ok(None);
    }
    let mut ids: Vec<UserId> = entries
        .iter()
        .filter_map(|e| Some(e.last_message.as_ref()?.sender_id))
        .collect();
    ids.sort();
    ids.dedup();
    let profiles = state(ctx).users.shown_beside.handle(me, &ids).await?;
    Ok(Some(profiles.into_iter().map(|p| (p.id, p)).collect()))
}

#[derive(Default)]
pub struct ConversationsQuery;

#[Object]
impl ConversationsQuery {
    /// The chat list: the caller's conversations by last activity.
    #[graphql(complexity = "first.unwrap_or(50).max(0) as usize * child_complexity")]
    async fn chats(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "1 to 100, default 50.")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, ChatListItem>> {
        let me = viewer(ctx)?;
        let limit = page_size("first", first, 50)?;
        let cursor = match after.as_deref() {
            Some(raw) => Some(
                decode_cursor(raw)
                    .ok_or_else(|| AppError::invalid("after", "is not a cursor from this API"))?,
            ),
            None => None,
        };
        let has_previous = cursor.is_some();
        let mut list = state(ctx)
            .conversations
            .chat_list
            .handle(me, cursor, limit)
            .await?;
        let senders = page_senders(ctx, me, &list.entries).await?;
        let mut connection = Connection::new(has_previous, list.next.is_some());
        for entry in list.entries {
            let cursor = encode_cursor(domain::ChatListCursor {
                last_activity_at: entry.conversation.last_activity_at,
                id: entry.conversation.id,
            });
            let other = entry.other_user.and_then(|id| {
                let at = list.profiles.iter().position(|p| p.id == id)?;
                Some(list.profiles.swap_remove(at))
            });
            let sender = senders.as_ref().map(|senders| {
                let id = entry.last_message.as_ref()?.sender_id;
                senders.get(&id).cloned()
            });
            let item = ChatListItem {
                entry,
                other,
                sender,
            };
            connection.edges.push(Edge::new(cursor, item));
        }
        Ok(connection)
    }

    /// One conversation of the caller's (`conversation_not_found` when not a participant).
    async fn conversation(&self, ctx: &Context<'_>, id: Uuid) -> Result<Conversation> {
        let view = state(ctx)
            .conversations
            .get
            .handle(viewer(ctx)?, ConversationId::from_uuid(id))
            .await?;
        Ok(Conversation(view))
    }
}
