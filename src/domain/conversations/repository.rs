//! The conversation aggregate's ports: the conversation, its participants, their markers.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{Conversation, Marker, Participant, Role};
use crate::domain::shared::{ConversationId, DomainEvent, RepoError, UserId};

/// `user_id` has received `conversation_id` up to `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveredMark {
    pub conversation_id: ConversationId,
    pub user_id: UserId,
    pub seq: i64,
}

#[async_trait]
pub trait ConversationRepository: Send + Sync {
    /// Write methods take `announce`, the events that tell of their change: they are recorded
    /// in the same transaction, and only when the change took effect.
    ///
    /// Stores a conversation with its first participants.
    ///
    /// # Errors
    /// `RepoError::Duplicate("direct")` when a direct chat between the pair exists already.
    async fn create(
        &self,
        conversation: &Conversation,
        members: &[Participant],
        direct_key: Option<&str>,
        announce: &[DomainEvent],
    ) -> Result<(), RepoError>;

    async fn find_direct(&self, direct_key: &str) -> Result<Option<Conversation>, RepoError>;

    /// The conversation and `user`'s membership; `None` when either is missing, which callers
    /// must not tell apart.
    async fn find_for_member(
        &self,
        id: ConversationId,
        user: UserId,
    ) -> Result<Option<(Conversation, Participant)>, RepoError>;

    async fn update(
        &self,
        conversation: &Conversation,
        announce: &[DomainEvent],
    ) -> Result<(), RepoError>;

    async fn delete(&self, id: ConversationId, announce: &[DomainEvent]) -> Result<(), RepoError>;
}

#[async_trait]
pub trait ParticipantRepository: Send + Sync {
    async fn participants(&self, id: ConversationId) -> Result<Vec<Participant>, RepoError>;

    async fn participant_ids(&self, id: ConversationId) -> Result<Vec<UserId>, RepoError>;

    /// Everyone who shares at least one conversation with `user`, without `user`.
    async fn co_participants(&self, user: UserId) -> Result<Vec<UserId>, RepoError>;

    async fn count_owners(&self, id: ConversationId) -> Result<u64, RepoError>;

    /// Adds those of `members` not in yet, recording a `ParticipantAdded` (by `by`) for each;
    /// returns who was added.
    async fn add_participants(
        &self,
        id: ConversationId,
        members: &[Participant],
        by: UserId,
    ) -> Result<Vec<UserId>, RepoError>;

    async fn remove_participant(
        &self,
        id: ConversationId,
        user: UserId,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError>;

    async fn set_role(
        &self,
        id: ConversationId,
        user: UserId,
        role: Role,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError>;

    async fn set_muted(
        &self,
        id: ConversationId,
        user: UserId,
        muted: bool,
    ) -> Result<(), RepoError>;
}

/// Read and delivered markers; write methods take `announce` as the conversation's do.
#[async_trait]
pub trait MarkerRepository: Send + Sync {
    /// Moves `user`'s `marker` forward to `seq`; `false`, announcing nothing, when it was
    /// there already.
    async fn move_marker(
        &self,
        marker: Marker,
        id: ConversationId,
        user: UserId,
        seq: i64,
        now: OffsetDateTime,
        announce: &[DomainEvent],
    ) -> Result<bool, RepoError>;

    /// Moves many delivered markers forward in one transaction, recording a
    /// `DeliveredMarkersMoved` per conversation and seq; returns the ones that moved.
    async fn mark_delivered_many(
        &self,
        marks: &[DeliveredMark],
        now: OffsetDateTime,
    ) -> Result<Vec<DeliveredMark>, RepoError>;
}
