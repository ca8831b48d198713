use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::ports::{RateLimit, RateLimiter};
use crate::domain::shared::UserId;

/// One user's budget for one kind of write (messages, reactions, uploads, conversations),
/// counted across instances when the limiter is shared. Over it: 429 with `Retry-After`.
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
        let key = format!("{}:{user}", self.kind);
        Ok(self.limiter.hit(&key, self.limit).await?)
    }
}
