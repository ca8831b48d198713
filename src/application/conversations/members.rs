use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use crate::domain::conversations::ParticipantRepository;
use crate::domain::shared::{ConversationId, DomainEvent, MemberChange, RepoError, UserId};

/// Member lists one consumer of the event log keeps.
pub const MEMBER_LISTS_CACHED: u64 = 100_000;

/// Who is in each conversation, for one consumer of the event log: read from the database on
/// first use, then kept by the membership events that consumer reads. It reads events in
/// commit order, so no event is handled with a member list older than the membership changes
/// logged before it. A list read while the consumer lags may already hold later changes;
/// applying them again leaves it as it is (adding a member twice or removing one gone changes
/// nothing). Each consumer keeps its own: one that lags must not be served a list another
/// consumer loaded before a change this one has not read yet, nor the reverse.
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

    /// Brings the lists up to `event`, the next one this consumer reads, without reading the
    /// database: a new conversation's list comes with it, an addition or a removal changes
    /// a list held, and a deleted conversation's list goes.
    pub async fn apply(&self, event: &DomainEvent) {
        match event {
            DomainEvent::ConversationCreated {
                conversation_id,
                members,
            } if !members.is_empty() => {
                self.cache
                    .insert(*conversation_id, members.as_slice().into())
                    .await;
            }
            DomainEvent::ParticipantAdded(MemberChange {
                conversation_id,
                user_id,
                ..
            }) => {
                self.change(*conversation_id, |list| {
                    if !list.contains(user_id) {
                        list.push(*user_id);
                    }
                })
                .await;
            }
            DomainEvent::ParticipantRemoved(MemberChange {
                conversation_id,
                user_id,
                ..
            }) => {
                self.change(*conversation_id, |list| list.retain(|u| u != user_id))
                    .await;
            }
            // Logged before they carried their members.
            DomainEvent::ConversationCreated {
                conversation_id, ..
            }
            | DomainEvent::ConversationDeleted {
                conversation_id, ..
            } => self.cache.invalidate(conversation_id).await,
            _ => {}
        }
    }

    /// Drops every list: the consumer did not read some events (they were pruned, or another
    /// instance consumed them while this one did not hold the consumer).
    pub fn forget_all(&self) {
        self.cache.invalidate_all();
    }

    async fn change(&self, id: ConversationId, edit: impl FnOnce(&mut Vec<UserId>)) {
        if let Some(members) = self.cache.get(&id).await {
            let mut list = members.to_vec();
            edit(&mut list);
            self.cache.insert(id, list.into()).await;
        }
    }
}
