use std::time::Duration;

use async_trait::async_trait;
use redis::Script;
use redis::aio::ConnectionManager;

use crate::application::ports::{RateLimit, RateLimiter};

/// Fixed-window counters in Redis, shared by every instance. One round trip per hit.
pub struct RedisRateLimiter {
    redis: ConnectionManager,
    prefix: String,
    script: Script,
}

const HIT: &str = r"
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
";

impl RedisRateLimiter {
    pub fn new(redis: ConnectionManager, prefix: &str) -> Self {
        Self {
            redis,
            prefix: prefix.to_owned(),
            script: Script::new(HIT),
        }
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn hit(&self, key: &str, limit: RateLimit) -> Result<(), Duration> {
        let window_ms = limit.per.as_millis().max(1) as u64;
        if limit.max == 0 {
            return Ok(());
        }
        let key = format!("{}rl:{}:{}:{}", self.prefix, limit.max, window_ms, key);
        let mut redis = self.redis.clone();
        let result: redis::RedisResult<(u64, i64)> = self
            .script
            .key(&key)
            .arg(window_ms)
            .invoke_async(&mut redis)
            .await;
        match result {
            Ok((count, _)) if count <= u64::from(limit.max) => Ok(()),
            Ok((_, ttl_ms)) => Err(Duration::from_millis(ttl_ms.max(1) as u64)),
            Err(error) => {
                tracing::warn!(%error, "rate limiter unavailable; letting the request through");
                Ok(())
            }
        }
    }
}
