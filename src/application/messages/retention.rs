use std::sync::Arc;
use std::time::Duration;

use crate::application::error::AppError;
use crate::application::messages::MessagesPorts;
use crate::application::ports::Clock;
use crate::domain::messages::MessageRepository;

/// Soft-deletes messages older than the retention period, in bounded batches. Every instance
/// may run it: each batch is one idempotent conditional update.
pub struct RetentionJob {
    messages: Arc<dyn MessageRepository>,
    clock: Arc<dyn Clock>,
    retention: Duration,
}

const BATCH: u64 = 1000;

impl RetentionJob {
    pub fn new(ports: &MessagesPorts, retention: Duration) -> Self {
        Self {
            messages: ports.messages.clone(),
            clock: ports.clock.clone(),
            retention,
        }
    }

    /// One pass; returns how many messages expired.
    pub async fn run_once(&self) -> Result<u64, AppError> {
        let now = self.clock.now();
        let cutoff = now - self.retention;
        let mut total = 0;
        loop {
            let expired = self.messages.expire(cutoff, now, BATCH).await?;
            total += expired;
            if expired < BATCH {
                return Ok(total);
            }
        }
    }

    /// Runs a pass every `interval` until the process ends.
    pub async fn run_every(self, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        loop {
            ticker.tick().await;
            match self.run_once().await {
                Ok(0) => {}
                Ok(expired) => tracing::info!(expired, "retention pass"),
                Err(error) => tracing::warn!(%error, "retention pass failed"),
            }
        }
    }
}
