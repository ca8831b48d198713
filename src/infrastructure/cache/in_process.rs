use std::time::Duration;

use async_trait::async_trait;
use moka::future::Cache;

use crate::application::ports::ProfileCache;
use crate::domain::shared::UserId;
use crate::domain::users::Profile;

/// Bounded in-memory profile cache; entries also expire, as a second line against staleness.
pub struct MokaProfileCache {
    cache: Cache<UserId, Profile>,
}

impl MokaProfileCache {
    pub fn new(capacity: u64, ttl: Duration) -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build(),
        }
    }
}

#[async_trait]
impl ProfileCache for MokaProfileCache {
    async fn get(&self, id: UserId) -> Option<Profile> {
        self.cache.get(&id).await
    }

    async fn put(&self, profile: &Profile) {
        self.cache.insert(profile.id, profile.clone()).await;
    }

    async fn invalidate(&self, id: UserId) {
        self.cache.invalidate(&id).await;
    }
}
