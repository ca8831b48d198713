use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::ports::{RateLimit, RateLimiter};
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
        let key = format!("{}:{key}", self.kind);
        Ok(self.limiter.hit(&key, self.limit).await?)
    }
}
