//! The message aggregate's port: what changes messages, and finding one.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{Emoji, Message, MessageContent, MessageDraft};
use crate::domain::shared::{ConversationId, DomainEvent, MessageId, RepoError, UserId};

#[async_trait]
pub trait MessageRepository: Send + Sync {
    /// Stores `draft` under the next `seq` of its conversation (gap-free, even under concurrent
    /// senders), bumps the conversation's activity and the replied-to message's reply count,
    /// and records its `MessageCreated` event, in one transaction.
    ///
    /// # Errors
    /// `RepoError::Duplicate("client_message_id")` if the sender already used this key here;
    /// `RepoError::Gone("member")` if the conversation is gone or, for a text message, its
    /// sender is not in it when it is stored (checked in the same transaction).
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

    /// Soft-deletes up to `batch` live messages created before `cutoff`; returns how many.
    /// Idempotent, so several instances may run it at once.
    async fn expire(
        &self,
        cutoff: OffsetDateTime,
        now: OffsetDateTime,
        batch: u64,
    ) -> Result<u64, RepoError>;
}
