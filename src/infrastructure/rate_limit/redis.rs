use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::Script;
use redis::aio::ConnectionManager;

use super::in_process::InProcessRateLimiter;
use crate::application::ports::{RateLimit, RateLimiter, Refusal};
use crate::config::WhenRedisDown;

/// How long one call may wait for Redis before the fallback answers.
const CALL_TIMEOUT: Duration = Duration::from_millis(500);
/// After a failure, how long Redis is left alone before it is tried again: a request does
/// not wait for the connection's reconnect attempts.
const BACK_OFF: Duration = Duration::from_secs(1);

/// Fixed-window counters in Redis, shared by every instance. One round trip per hit. When
/// Redis cannot be reached, `when_down` decides: count in this instance's memory, let
/// everything through, or refuse.
pub struct RedisRateLimiter {
    redis: ConnectionManager,
    prefix: String,
    hit: Script,
    peek: Script,
    when_down: WhenRedisDown,
    local: InProcessRateLimiter,
    started: Instant,
    /// Milliseconds since `started` until which Redis is not asked.
    down_until_ms: AtomicU64,
}

const HIT: &str = r"
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
";

const PEEK: &str = r"
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
return {n, redis.call('PTTL', KEYS[1])}
";

impl RedisRateLimiter {
    pub fn new(redis: ConnectionManager, prefix: &str, when_down: WhenRedisDown) -> Self {
        Self {
            redis,
            prefix: prefix.to_owned(),
            hit: Script::new(HIT),
            peek: Script::new(PEEK),
            when_down,
            local: InProcessRateLimiter::default(),
            started: Instant::now(),
            down_until_ms: AtomicU64::new(0),
        }
    }

    fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// `cost` 0 peeks.
    async fn fallback(&self, key: &str, limit: RateLimit, cost: u32) -> Result<(), Refusal> {
        match self.when_down {
            WhenRedisDown::Local if cost > 0 => self.local.hit_by(key, limit, cost).await,
            WhenRedisDown::Local => self.local.peek(key, limit).await,
            WhenRedisDown::Allow => Ok(()),
            WhenRedisDown::Refuse => Err(Refusal::Unavailable),
        }
    }

    /// Adds `cost` to the key's window (0: only looks).
    async fn count(&self, key: &str, limit: RateLimit, cost: u32) -> Result<(), Refusal> {
        let hit = cost > 0;
        if limit.max == 0 || limit.per.is_zero() {
            return Ok(());
        }
        if self.elapsed_ms() < self.down_until_ms.load(Ordering::Relaxed) {
            return self.fallback(key, limit, cost).await;
        }
        let window_ms = limit.per.as_millis().max(1) as u64;
        let redis_key = format!("{}rl:{}:{}:{}", self.prefix, limit.max, window_ms, key);
        let script = if hit { &self.hit } else { &self.peek };
        let mut redis = self.redis.clone();
        let mut invocation = script.key(&redis_key);
        invocation.arg(window_ms);
        if hit {
            invocation.arg(cost);
        }
        let call = invocation.invoke_async::<(u64, i64)>(&mut redis);
        let result = match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(_) => Err("timed out".to_owned()),
        };
        // A hit may pass at `max`; a peek only below it.
        let allowed = |count: u64| {
            if hit {
                count <= u64::from(limit.max)
            } else {
                count < u64::from(limit.max)
            }
        };
        match result {
            Ok((count, _)) if allowed(count) => Ok(()),
            Ok((_, ttl_ms)) => Err(Refusal::Limited(
                Duration::from_millis(ttl_ms.max(1) as u64),
            )),
            Err(error) => {
                self.down_until_ms.store(
                    self.elapsed_ms() + BACK_OFF.as_millis() as u64,
                    Ordering::Relaxed,
                );
                crate::infrastructure::redis_failed("rate_limit");
                tracing::warn!(%error, mode = ?self.when_down, "rate limiter's Redis unavailable");
                self.fallback(key, limit, cost).await
            }
        }
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn hit_by(&self, key: &str, limit: RateLimit, cost: u32) -> Result<(), Refusal> {
        self.count(key, limit, cost.max(1)).await
    }

    async fn peek(&self, key: &str, limit: RateLimit) -> Result<(), Refusal> {
        self.count(key, limit, 0).await
    }
}
