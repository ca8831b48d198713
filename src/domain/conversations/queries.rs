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

    /// Every conversation of `user` with its last activity, as of the event log position
    /// returned beside it: what an in-memory order of the chat list starts from.
    async fn activity_of_member(&self, user: UserId) -> Result<AsOfLog<Vec<Activity>>, RepoError>;

    /// The rows of `ids` that `user` is in, newest activity first, as of the event log
    /// position returned beside them.
    async fn chat_rows(
        &self,
        user: UserId,
        ids: &[ConversationId],
    ) -> Result<AsOfLog<Vec<ChatListEntry>>, RepoError>;
}

/// A conversation's place in the chat list order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Activity {
    pub id: ConversationId,
    pub last_activity_at: OffsetDateTime,
}

/// What a read saw, and the newest event log position committed when it read: a copy in
/// memory kept by the log is exact for the read once it has handled that position.
#[derive(Debug, Clone)]
pub struct AsOfLog<T> {
    pub value: T,
    /// `None` when the read returned no row, and so no position.
    pub log_head: Option<i64>,
}
