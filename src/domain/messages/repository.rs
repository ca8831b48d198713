use std::collections::HashMap;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{Emoji, Message, MessageContent, MessageDraft, ReactedMessage, Reaction};
use crate::domain::shared::{ConversationId, DomainEvent, MessageId, RepoError, UserId};

/// Which slice of history to read, by seq (both bounds exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryRange {
    pub before_seq: Option<i64>,
    pub after_seq: Option<i64>,
    pub limit: u64,
}

/// How far one participant has got with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub user_id: UserId,
    pub delivered_at: Option<OffsetDateTime>,
    pub read_at: Option<OffsetDateTime>,
}

#[async_trait]
pub trait MessageRepository: Send + Sync {
    /// Stores `draft` under the next `seq` of its conversation (gap-free, even under concurrent
    /// senders), bumps the conversation's activity and the replied-to message's reply count,
    /// and records its `MessageCreated` event, in one transaction.
    ///
    /// # Errors
    /// `RepoError::Duplicate("client_message_id")` if the sender already used this key here.
    async fn append(&self, draft: &MessageDraft) -> Result<Message, RepoError>;

    async fn find(
        &self,
        conversation: ConversationId,
        id: MessageId,
    ) -> Result<Option<Message>, RepoError>;

    async fn find_by_client_id(
        &self,
        conversation: ConversationId,
        sender: UserId,
        client_message_id: &str,
    ) -> Result<Option<Message>, RepoError>;

    /// Messages in the range with their reactions, ascending by seq, in one statement. With
    /// only `before_seq` (or nothing), the newest `limit` before it; with `after_seq`, the
    /// oldest `limit` after it.
    async fn history(
        &self,
        conversation: ConversationId,
        range: HistoryRange,
    ) -> Result<Vec<ReactedMessage>, RepoError>;

    /// Replies to `root`, ascending by seq, after `after_seq`.
    async fn thread(
        &self,
        conversation: ConversationId,
        root: MessageId,
        after_seq: i64,
        limit: u64,
    ) -> Result<Vec<Message>, RepoError>;

    /// Write methods take `announce`, the events that tell of their change: they are recorded
    /// in the same transaction, and only when the change took effect.
    async fn edit(
        &self,
        id: MessageId,
        content: &MessageContent,
        now: OffsetDateTime,
        announce: &[DomainEvent],
    ) -> Result<(), RepoError>;

    /// Soft-deletes: the row and its seq stay, the content goes.
    async fn soft_delete(
        &self,
        id: MessageId,
        now: OffsetDateTime,
        announce: &[DomainEvent],
    ) -> Result<(), RepoError>;

    /// `false` when the user had already reacted with this emoji.
    async fn add_reaction(
        &self,
        id: MessageId,
        user: UserId,
        emoji: &Emoji,
        now: OffsetDateTime,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError>;

    /// `false` when there was no such reaction.
    async fn remove_reaction(
        &self,
        id: MessageId,
        user: UserId,
        emoji: &Emoji,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError>;

    /// Reaction counts per message for `ids`, flagged for `viewer`, in one query.
    async fn reactions(
        &self,
        ids: &[MessageId],
        viewer: UserId,
    ) -> Result<HashMap<MessageId, Vec<Reaction>>, RepoError>;

    /// Every participant but the sender whose delivered or read marker reached `seq`.
    async fn receipts(
        &self,
        conversation: ConversationId,
        seq: i64,
        sender: UserId,
    ) -> Result<Vec<Receipt>, RepoError>;

    /// Full-text search over the conversations `user` is in (or just `conversation`), best
    /// match first; deleted messages never match.
    async fn search(
        &self,
        user: UserId,
        query: &str,
        conversation: Option<ConversationId>,
        limit: u64,
    ) -> Result<Vec<Message>, RepoError>;

    /// Soft-deletes up to `batch` live messages created before `cutoff`; returns how many.
    /// Idempotent, so several instances may run it at once.
    async fn expire(
        &self,
        cutoff: OffsetDateTime,
        now: OffsetDateTime,
        batch: u64,
    ) -> Result<u64, RepoError>;
}
