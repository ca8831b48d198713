use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use async_trait::async_trait;

use crate::application::ports::{RateLimit, RateLimiter, Refusal};

/// Past this many keys, expired windows are swept before a new one is added.
const SWEEP_AT: usize = 10_000;

/// Fixed-window counters in this process's memory, the same rule as the Redis limiter's: at
/// most `max` hits per key in a window of `per` that starts at the key's first hit.
#[derive(Default)]
pub struct InProcessRateLimiter {
    windows: Mutex<HashMap<(RateLimit, String), Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    hits: u32,
    ends: Instant,
}

impl InProcessRateLimiter {
    fn count(&self, key: &str, limit: RateLimit, add: u32) -> Result<(), Refusal> {
        // A zero limit or period means "no limit".
        if limit.max == 0 || limit.per.is_zero() {
            return Ok(());
        }
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, w| w.ends > now);
        }
        let window = windows
            .entry((limit, key.to_owned()))
            .and_modify(|w| {
                if w.ends <= now {
                    *w = Window {
                        hits: 0,
                        ends: now + limit.per,
                    }
                }
            })
            .or_insert(Window {
                hits: 0,
                ends: now + limit.per,
            });
        let allowed =
            window.hits.saturating_add(add) <= limit.max && (add > 0 || window.hits < limit.max);
        window.hits = window.hits.saturating_add(add);
        if allowed {
            Ok(())
        } else {
            Err(Refusal::Limited(window.ends - now))
        }
    }
}

#[async_trait]
impl RateLimiter for InProcessRateLimiter {
    async fn hit_by(&self, key: &str, limit: RateLimit, cost: u32) -> Result<(), Refusal> {
        self.count(key, limit, cost.max(1))
    }

    async fn peek(&self, key: &str, limit: RateLimit) -> Result<(), Refusal> {
        self.count(key, limit, 0)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const LIMIT: RateLimit = RateLimit {
        max: 3,
        per: Duration::from_secs(60),
    };

    #[tokio::test]
    async fn a_costly_hit_counts_as_many() {
        let limiter = InProcessRateLimiter::default();
        assert!(limiter.hit_by("k", LIMIT, 2).await.is_ok());
        assert!(limiter.hit_by("k", LIMIT, 2).await.is_err(), "4 of 3");
        assert!(
            limiter.hit("k", LIMIT).await.is_err(),
            "refused hits count, as in Redis"
        );
        assert!(limiter.hit_by("other", LIMIT, u32::MAX).await.is_err());
    }

    #[tokio::test]
    async fn allows_max_hits_per_window_then_refuses_with_the_window_s_rest() {
        let limiter = InProcessRateLimiter::default();
        for _ in 0..3 {
            assert!(limiter.hit("k", LIMIT).await.is_ok());
        }
        let Err(Refusal::Limited(wait)) = limiter.hit("k", LIMIT).await else {
            panic!("the fourth hit passed");
        };
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60));
        assert!(limiter.hit("other", LIMIT).await.is_ok());
        let unlimited = RateLimit {
            max: 0,
            per: Duration::from_secs(1),
        };
        assert!(limiter.hit("k", unlimited).await.is_ok());
    }

    #[tokio::test]
    async fn peeking_counts_nothing() {
        let limiter = InProcessRateLimiter::default();
        for _ in 0..5 {
            assert!(limiter.peek("k", LIMIT).await.is_ok());
        }
        for _ in 0..3 {
            limiter.hit("k", LIMIT).await.unwrap();
        }
        assert!(matches!(
            limiter.peek("k", LIMIT).await,
            Err(Refusal::Limited(_))
        ));
    }

    #[tokio::test]
    async fn a_window_ends() {
        let limiter = InProcessRateLimiter::default();
        let short = RateLimit {
            max: 1,
            per: Duration::from_millis(1),
        };
        limiter.hit("k", short).await.unwrap();
        let started = Instant::now();
        while limiter.hit("k", short).await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "never reset");
            tokio::task::yield_now().await;
        }
    }
}
