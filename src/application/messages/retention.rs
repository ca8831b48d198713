use std::sync::Arc;
use std::time::Duration;

use super::MessagesDeps;
use crate::application::error::AppError;

/// Soft-deletes messages older than the retention period, in bounded batches. Every instance
/// may run it: each batch is one idempotent conditional update.
pub struct RetentionJob {
    deps: Arc<MessagesDeps>,
    retention: Duration,
}

const BATCH: u64 = 1000;

impl RetentionJob {
    pub fn new(deps: Arc<MessagesDeps>, retention: Duration) -> Self {
        Self { deps, retention }
    }

    /// One pass; returns how many messages expired.
    pub async fn run_once(&self) -> Result<u64, AppError> {
        let now = self.deps.clock.now();
        let cutoff = now - self.retention;
        let mut total = 0;
        loop {
            let expired = self.deps.messages.expire(cutoff, now, BATCH).await?;
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
