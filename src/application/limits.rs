use std::sync::Arc;

use async_trait::async_trait;

use crate::application::error::AppError;
use crate::application::ports::{RateLimit, RateLimiter, Refusal};
use crate::domain::shared::UserId;

/// One user's budget for one kind of write (messages, reactions, uploads, conversations,
/// prekey claims), counted across instances when the limiter is shared. Over it: 429 with
/// `Retry-After`.
#[derive(Clone)]
pub struct WriteLimit {
    limiter: Arc<dyn RateLimiter>,
    kind: &'static str,
    limit: RateLimit,
}

impl WriteLimit {
    pub fn new(limiter: Arc<dyn RateLimiter>, kind: &'static str, limit: RateLimit) -> Self {
        Self {
            limiter,
            kind,
            limit,
        }
    }

    pub async fn spend(&self, user: UserId) -> Result<(), AppError> {
        self.spend_on(user).await
    }

    /// Spends from the budget named by `key` (e.g. a caller and whom they act on).
    pub async fn spend_on(&self, key: impl std::fmt::Display) -> Result<(), AppError> {
        self.spend_by(key, 1).await
    }

    /// Spends `cost` from the budget named by `key`.
    pub async fn spend_by(&self, key: impl std::fmt::Display, cost: u32) -> Result<(), AppError> {
        let key = format!("{}:{key}", self.kind);
        Ok(self.limiter.hit_by(&key, self.limit, cost).await?)
    }
}

/// Counts every refusal of `inner` by the limit's name (its key up to the first `:`, e.g.
/// `login`, `messages`, `ws-upgrade`).
pub struct CountedLimiter(pub Arc<dyn RateLimiter>);

impl CountedLimiter {
    fn count(key: &str, result: Result<(), Refusal>) -> Result<(), Refusal> {
        if let Err(refusal) = result {
            let limit = key.split(':').next().unwrap_or_default().to_owned();
            let reason = match refusal {
                Refusal::Limited(_) => "limited",
                Refusal::Unavailable => "unavailable",
            };
            metrics::counter!("rate_limit_refusals_total", "limit" => limit, "reason" => reason)
                .increment(1);
        }
        result
    }
}

#[async_trait]
impl RateLimiter for CountedLimiter {
    async fn hit_by(&self, key: &str, limit: RateLimit, cost: u32) -> Result<(), Refusal> {
        Self::count(key, self.0.hit_by(key, limit, cost).await)
    }

    async fn peek(&self, key: &str, limit: RateLimit) -> Result<(), Refusal> {
        Self::count(key, self.0.peek(key, limit).await)
    }
}
