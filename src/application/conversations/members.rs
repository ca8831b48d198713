use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use crate::domain::conversations::ParticipantRepository;
use crate::domain::shared::{ConversationId, DomainEvent, RepoError, UserId};

/// Member lists one consumer of the event log keeps.
pub const MEMBER_LISTS_CACHED: u64 = 100_000;

/// Who is in each conversation, for one consumer of the event log: read from the database on
/// first use and forgotten when that consumer reads a membership event. It reads events in
/// commit order, so no event is handled with a member list older than the membership changes
/// logged before it. Each consumer keeps its own: one that lags must not be served a list
/// another consumer loaded before a change this one has not read yet, nor the reverse.
pub struct Members {
    participants: Arc<dyn ParticipantRepository>,
    cache: Cache<ConversationId, Arc<[UserId]>>,
}

impl Members {
    pub fn new(participants: Arc<dyn ParticipantRepository>, capacity: u64) -> Self {
        Self {
            participants,
            cache: Cache::builder()
                .max_capacity(capacity)
                .time_to_idle(Duration::from_secs(600))
                .build(),
        }
    }

    pub async fn of(&self, id: ConversationId) -> Result<Arc<[UserId]>, RepoError> {
        if let Some(members) = self.cache.get(&id).await {
            return Ok(members);
        }
        let members: Arc<[UserId]> = self.participants.participant_ids(id).await?.into();
        self.cache.insert(id, members.clone()).await;
        Ok(members)
    }

    pub async fn forget(&self, id: ConversationId) {
        self.cache.invalidate(&id).await;
    }
}

/// The conversation whose member list `event` changes.
pub fn membership_changed(event: &DomainEvent) -> Option<ConversationId> {
    match event {
        DomainEvent::ConversationCreated {
            conversation_id, ..
        }
        | DomainEvent::ConversationDeleted {
            conversation_id, ..
        }
        | DomainEvent::ParticipantAdded {
            conversation_id, ..
        }
        | DomainEvent::ParticipantRemoved {
            conversation_id, ..
        } => Some(*conversation_id),
        _ => None,
    }
}
