use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::application::ports::{RateLimit, RateLimiter};

/// GCRA limits kept in memory (governor): a burst of `max`, refilled evenly over `per`.
#[derive(Default)]
pub struct InProcessRateLimiter {
    limiters: Mutex<HashMap<RateLimit, Arc<DefaultKeyedRateLimiter<String>>>>,
    hits: AtomicU64,
}

impl InProcessRateLimiter {
    fn limiter(&self, limit: RateLimit) -> Option<Arc<DefaultKeyedRateLimiter<String>>> {
        let mut limiters = self
            .limiters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(limiter) = limiters.get(&limit) {
            return Some(limiter.clone());
        }
        let max = NonZeroU32::new(limit.max)?;
        let quota = Quota::with_period(limit.per / limit.max)?.allow_burst(max);
        let limiter = Arc::new(DefaultKeyedRateLimiter::keyed(quota));
        limiters.insert(limit, limiter.clone());
        Some(limiter)
    }
}

#[async_trait]
impl RateLimiter for InProcessRateLimiter {
    async fn hit(&self, key: &str, limit: RateLimit) -> Result<(), Duration> {
        // A zero limit or period means "no limit".
        let Some(limiter) = self.limiter(limit) else {
            return Ok(());
        };
        // Forget idle keys now and then so memory stays bounded by the active ones.
        if self.hits.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            limiter.retain_recent();
        }
        limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn allows_a_burst_then_refuses_with_a_wait() {
        let limiter = InProcessRateLimiter::default();
        let limit = RateLimit {
            max: 3,
            per: Duration::from_secs(60),
        };
        for _ in 0..3 {
            assert!(limiter.hit("k", limit).await.is_ok());
        }
        let wait = limiter.hit("k", limit).await.unwrap_err();
        assert!(wait > Duration::from_secs(1) && wait <= Duration::from_secs(20));
        assert!(limiter.hit("other", limit).await.is_ok());
        assert!(
            limiter
                .hit(
                    "k",
                    RateLimit {
                        max: 0,
                        per: Duration::from_secs(1)
                    }
                )
                .await
                .is_ok()
        );
    }
}
