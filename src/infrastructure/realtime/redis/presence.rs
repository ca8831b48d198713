//! Presence shared by every instance: each user's connections with their expiry, swept when an
//! instance dies.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::application::realtime::{PresenceStatus, PresenceStore};
use crate::domain::shared::UserId;

/// Presence shared by every instance: a sorted set of live connections per user, scored by
/// expiry, so connections of an instance that died fall away by themselves.
pub struct RedisPresenceStore {
    redis: ConnectionManager,
    prefix: String,
    instance: String,
    ttl: Duration,
    connect: Script,
    disconnect: Script,
    sweep_user: Script,
}

// KEYS[1] = live set, KEYS[2] = this instance's users; ARGV = member, expiry (ms), now (ms),
// the set's lifetime (ms), user. Returns how many are live.
const CONNECT: &str = r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SADD', KEYS[2], ARGV[5])
return redis.call('ZCARD', KEYS[1])
";

// KEYS[1] = live set; ARGV = prefix of a dead instance's members, now (ms). Returns how many
// remain live, -1 if none of the instance's were there.
const SWEEP_USER: &str = r"
local removed = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(member, 1, #ARGV[1]) == ARGV[1] then
    redis.call('ZREM', KEYS[1], member)
    removed = removed + 1
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if removed == 0 then return -1 end
return redis.call('ZCARD', KEYS[1])
";

/// How long the instance that claimed a dead one's sweep holds it.
const SWEEP_CLAIM_SECS: u64 = 60;

// KEYS[1] = live set; ARGV = member, now (ms). Returns how many remain live, -1 if the member
// was not there.
const DISCONNECT: &str = r"
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if removed == 0 then return -1 end
return redis.call('ZCARD', KEYS[1])
";

impl RedisPresenceStore {
    pub fn new(redis: ConnectionManager, prefix: &str, ttl: Duration) -> Self {
        Self {
            redis,
            prefix: prefix.to_owned(),
            instance: Uuid::now_v7().simple().to_string(),
            ttl,
            connect: Script::new(CONNECT),
            disconnect: Script::new(DISCONNECT),
            sweep_user: Script::new(SWEEP_USER),
        }
    }

    /// Live instances, scored by when their heartbeat lapses.
    fn instances(&self) -> String {
        format!("{}instances", self.prefix)
    }

    /// Users with a connection on `instance` (or who had one): what to sweep if it dies.
    fn instance_users(&self, instance: &str) -> String {
        format!("{}instance-users:{instance}", self.prefix)
    }

    async fn sweep_instance(
        &self,
        dead: &str,
        now: OffsetDateTime,
    ) -> redis::RedisResult<Vec<UserId>> {
        let mut redis = self.redis.clone();
        let claim = format!("{}sweeping:{dead}", self.prefix);
        let claimed: bool = redis::cmd("SET")
            .arg(&claim)
            .arg(&self.instance)
            .arg("NX")
            .arg("EX")
            .arg(SWEEP_CLAIM_SECS)
            .query_async::<Option<String>>(&mut redis)
            .await?
            .is_some();
        if !claimed {
            return Ok(Vec::new());
        }
        let users: Vec<String> = redis.smembers(self.instance_users(dead)).await?;
        let prefix = format!("{dead}:");
        let mut offline = Vec::new();
        for user in users {
            let Ok(id) = user.parse::<Uuid>().map(UserId::from_uuid) else {
                continue;
            };
            let left: i64 = self
                .sweep_user
                .key(self.live(id))
                .arg(&prefix)
                .arg(Self::now_ms())
                .invoke_async(&mut redis)
                .await?;
            if left == 0 {
                self.went_offline(id, now).await;
                offline.push(id);
            }
        }
        redis::pipe()
            .del(self.instance_users(dead))
            .zrem(self.instances(), dead)
            .query_async::<()>(&mut redis)
            .await?;
        Ok(offline)
    }

    async fn went_offline(&self, user: UserId, now: OffsetDateTime) {
        let mut redis = self.redis.clone();
        let last_seen = format!("{}last_seen:{user}", self.prefix);
        let away = format!("{}away:{user}", self.prefix);
        let stored: redis::RedisResult<()> = redis::pipe()
            .set(last_seen, now.unix_timestamp())
            .del(away)
            .query_async(&mut redis)
            .await;
        if let Err(error) = stored {
            crate::infrastructure::redis_failed("presence");
            tracing::warn!(%error, "last-seen not stored");
        }
    }

    fn live(&self, user: UserId) -> String {
        format!("{}presence:{user}", self.prefix)
    }

    fn member(&self, connection: &str) -> String {
        format!("{}:{connection}", self.instance)
    }

    fn now_ms() -> i64 {
        (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
    }
}

#[async_trait]
impl PresenceStore for RedisPresenceStore {
    async fn connect(&self, user: UserId, connection: &str) -> bool {
        let now = Self::now_ms();
        let ttl = self.ttl.as_millis() as i64;
        let mut redis = self.redis.clone();
        let live: redis::RedisResult<i64> = self
            .connect
            .key(self.live(user))
            // Who is connected here, for the sweep should this instance die.
            .key(self.instance_users(&self.instance))
            .arg(self.member(connection))
            .arg(now + ttl)
            .arg(now)
            .arg(ttl * 2)
            .arg(user.to_string())
            .invoke_async(&mut redis)
            .await;
        match live {
            Ok(count) => count == 1,
            Err(error) => {
                crate::infrastructure::redis_failed("presence");
                tracing::warn!(%error, "presence unavailable");
                false
            }
        }
    }

    async fn disconnect(&self, user: UserId, connection: &str, now: OffsetDateTime) -> bool {
        let mut redis = self.redis.clone();
        let left: redis::RedisResult<i64> = self
            .disconnect
            .key(self.live(user))
            .arg(self.member(connection))
            .arg(Self::now_ms())
            .invoke_async(&mut redis)
            .await;
        if matches!(left, Ok(0)) {
            self.went_offline(user, now).await;
            return true;
        }
        false
    }

    async fn refresh(&self, user: UserId, connection: &str) {
        let now = Self::now_ms();
        let ttl = self.ttl.as_millis() as i64;
        let mut redis = self.redis.clone();
        // Tracked again: a sweep may have run while this instance was stalled.
        let refreshed: redis::RedisResult<()> = redis::pipe()
            .zadd(self.live(user), self.member(connection), now + ttl)
            .pexpire(self.live(user), ttl * 2)
            .sadd(self.instance_users(&self.instance), user.to_string())
            .query_async(&mut redis)
            .await;
        if let Err(error) = refreshed {
            crate::infrastructure::redis_failed("presence");
            tracing::warn!(%error, "presence refresh failed");
        }
    }

    async fn set_away(&self, user: UserId, away: bool) {
        let key = format!("{}away:{user}", self.prefix);
        let mut redis = self.redis.clone();
        let stored: redis::RedisResult<()> = if away {
            redis.set_ex(key, 1, self.ttl.as_secs() * 2).await
        } else {
            redis.del(key).await
        };
        if let Err(error) = stored {
            crate::infrastructure::redis_failed("presence");
            tracing::warn!(%error, "presence update failed");
        }
    }

    async fn connections(&self, user: UserId) -> usize {
        let mut redis = self.redis.clone();
        let live: redis::RedisResult<usize> =
            redis.zcount(self.live(user), Self::now_ms(), "+inf").await;
        live.unwrap_or_else(|error| {
            // Unknown: let the connection in rather than lock everyone out.
            crate::infrastructure::redis_failed("presence");
            tracing::warn!(%error, "presence unavailable");
            0
        })
    }

    async fn heartbeat(&self, ttl: Duration) {
        let lapses = Self::now_ms() + ttl.as_millis() as i64;
        let mut redis = self.redis.clone();
        let stored: redis::RedisResult<()> =
            redis.zadd(self.instances(), &self.instance, lapses).await;
        if let Err(error) = stored {
            crate::infrastructure::redis_failed("presence");
            tracing::warn!(%error, "presence heartbeat failed");
        }
    }

    async fn sweep(&self, now: OffsetDateTime) -> Vec<UserId> {
        let mut redis = self.redis.clone();
        let dead: redis::RedisResult<Vec<String>> = redis
            .zrangebyscore(self.instances(), "-inf", Self::now_ms())
            .await;
        let dead = match dead {
            Ok(dead) => dead,
            Err(error) => {
                crate::infrastructure::redis_failed("presence");
                tracing::warn!(%error, "presence unavailable");
                return Vec::new();
            }
        };
        let mut offline = Vec::new();
        for instance in dead.iter().filter(|i| **i != self.instance) {
            match self.sweep_instance(instance, now).await {
                Ok(users) => {
                    tracing::info!(%instance, users = users.len(), "swept a dead instance's connections");
                    offline.extend(users);
                }
                Err(error) => {
                    crate::infrastructure::redis_failed("presence");
                    tracing::warn!(%error, %instance, "sweep failed");
                }
            }
        }
        offline
    }

    async fn get(&self, users: &[UserId]) -> Vec<(UserId, PresenceStatus, Option<OffsetDateTime>)> {
        let now = Self::now_ms();
        let mut pipe = redis::pipe();
        for user in users {
            pipe.zcount(self.live(*user), now, "+inf")
                .exists(format!("{}away:{user}", self.prefix))
                .get(format!("{}last_seen:{user}", self.prefix));
        }
        let mut redis = self.redis.clone();
        let answers: redis::RedisResult<Vec<(i64, bool, Option<i64>)>> =
            pipe.query_async(&mut redis).await;
        let answers = answers.unwrap_or_else(|error| {
            crate::infrastructure::redis_failed("presence");
            tracing::warn!(%error, "presence unavailable");
            Vec::new()
        });
        users
            .iter()
            .enumerate()
            .map(|(i, user)| {
                let (live, away, last_seen) = answers.get(i).copied().unwrap_or((0, false, None));
                let status = match (live > 0, away) {
                    (false, _) => PresenceStatus::Offline,
                    (true, true) => PresenceStatus::Away,
                    (true, false) => PresenceStatus::Online,
                };
                (
                    *user,
                    status,
                    last_seen.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok()),
                )
            })
            .collect()
    }
}
