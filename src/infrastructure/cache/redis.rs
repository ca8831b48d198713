use std::time::Duration;

use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::application::ports::ProfileCache;
use crate::domain::shared::UserId;
use crate::domain::users::{Bio, DisplayName, Profile, StatusText, Username};

/// Profiles as JSON under `<prefix>profile:<id>`, with a TTL. Failures only cost a cache miss.
pub struct RedisProfileCache {
    redis: ConnectionManager,
    prefix: String,
    ttl: Duration,
}

impl RedisProfileCache {
    pub fn new(redis: ConnectionManager, prefix: &str, ttl: Duration) -> Self {
        Self {
            redis,
            prefix: prefix.to_owned(),
            ttl,
        }
    }

    fn key(&self, id: UserId) -> String {
        format!("{}profile:{id}", self.prefix)
    }
}

#[derive(Serialize, Deserialize)]
struct Cached {
    id: Uuid,
    username: String,
    display_name: String,
    bio: String,
    status_text: String,
    avatar_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

impl Cached {
    fn into_profile(self) -> Option<Profile> {
        Some(Profile {
            id: UserId::from_uuid(self.id),
            username: Username::parse(&self.username).ok()?,
            display_name: DisplayName::parse(&self.display_name).ok()?,
            bio: Bio::parse(&self.bio).ok()?,
            status_text: StatusText::parse(&self.status_text).ok()?,
            avatar_id: self.avatar_id,
            created_at: self.created_at,
        })
    }
}

#[async_trait]
impl ProfileCache for RedisProfileCache {
    async fn get(&self, id: UserId) -> Option<Profile> {
        let mut redis = self.redis.clone();
        let raw: Option<String> = redis.get(self.key(id)).await.ok()?;
        serde_json::from_str::<Cached>(&raw?).ok()?.into_profile()
    }

    async fn put(&self, profile: &Profile) {
        let cached = Cached {
            id: profile.id.as_uuid(),
            username: profile.username.as_str().to_owned(),
            display_name: profile.display_name.as_str().to_owned(),
            bio: profile.bio.as_str().to_owned(),
            status_text: profile.status_text.as_str().to_owned(),
            avatar_id: profile.avatar_id,
            created_at: profile.created_at,
        };
        let Ok(json) = serde_json::to_string(&cached) else {
            return;
        };
        let mut redis = self.redis.clone();
        let stored: redis::RedisResult<()> = redis
            .set_ex(self.key(profile.id), json, self.ttl.as_secs())
            .await;
        if let Err(error) = stored {
            crate::infrastructure::redis_failed("cache");
            tracing::warn!(%error, "profile cache write failed");
        }
    }

    async fn invalidate(&self, id: UserId) {
        let mut redis = self.redis.clone();
        let deleted: redis::RedisResult<()> = redis.del(self.key(id)).await;
        if let Err(error) = deleted {
            // A stale entry would outlive the change by up to the TTL.
            crate::infrastructure::redis_failed("cache");
            tracing::error!(%error, user_id = %id, "profile cache invalidation failed");
        }
    }
}
