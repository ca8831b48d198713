use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use crate::domain::conversations::ConversationRepository;
use crate::domain::shared::{ConversationId, RepoError, UserId};

/// Who is in each conversation, for delivery: read from the database on first use and
/// forgotten when a membership event passes through this instance's log reader. The reader
/// takes events in commit order, so no event is delivered by a member list older than the
/// membership changes logged before it.
pub struct Members {
    conversations: Arc<dyn ConversationRepository>,
    cache: Cache<ConversationId, Arc<[UserId]>>,
}

impl Members {
    pub fn new(conversations: Arc<dyn ConversationRepository>, capacity: u64) -> Self {
        Self {
            conversations,
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
        let members: Arc<[UserId]> = self.conversations.participant_ids(id).await?.into();
        self.cache.insert(id, members.clone()).await;
        Ok(members)
    }

    pub async fn forget(&self, id: ConversationId) {
        self.cache.invalidate(&id).await;
    }
}
