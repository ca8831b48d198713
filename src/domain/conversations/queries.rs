//! The chat list read model: one page of a user's conversations, read in one query.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{Conversation, Participant};
use crate::domain::shared::{ConversationId, MessageId, RepoError, UserId};

/// Where a chat list page ends: the last entry's activity time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatListCursor {
    pub last_activity_at: OffsetDateTime,
    pub id: ConversationId,
}

#[derive(Debug, Clone)]
pub struct LastMessage {
    pub id: MessageId,
    pub seq: i64,
    pub sender_id: UserId,
    /// `None` once deleted.
    pub content: Option<String>,
    pub created_at: OffsetDateTime,
}

/// One row of a user's chat list, read in one query.
#[derive(Debug, Clone)]
pub struct ChatListEntry {
    pub conversation: Conversation,
    pub me: Participant,
    pub unread: i64,
    pub last_message: Option<LastMessage>,
    /// The other participant of a direct chat.
    pub other_user: Option<UserId>,
}

#[async_trait]
pub trait ChatListQueries: Send + Sync {
    /// `user`'s conversations by last activity, newest first, after `cursor`.
    async fn chat_list(
        &self,
        user: UserId,
        cursor: Option<ChatListCursor>,
        limit: u64,
    ) -> Result<Vec<ChatListEntry>, RepoError>;
}
