use std::sync::Arc;
use std::time::Duration;

use super::AttachmentsDeps;

/// Deletes uploads never bound to a message once they are older than `ttl`. Safe with several
/// instances: a row is deleted only while still unbound, and its bytes only after that.
pub struct OrphanCleanup {
    deps: Arc<AttachmentsDeps>,
    ttl: Duration,
}

impl OrphanCleanup {
    pub fn new(deps: Arc<AttachmentsDeps>, ttl: Duration) -> Self {
        Self { deps, ttl }
    }

    /// One pass; returns how many uploads were removed.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let deps = &self.deps;
        let ttl = time::Duration::try_from(self.ttl)?;
        let before = deps.clock.now() - ttl;
        let mut removed = 0;
        for orphan in deps.attachments.orphans(before, 500).await? {
            if !deps.attachments.delete_orphan(orphan.id).await? {
                continue;
            }
            for key in [orphan.storage_key(), orphan.thumbnail_key()] {
                deps.store.delete(&key).await?;
            }
            removed += 1;
        }
        Ok(removed)
    }

    pub async fn run_every(self, interval: Duration) {
        let mut ticks = tokio::time::interval(interval);
        loop {
            ticks.tick().await;
            match self.run_once().await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "unsent uploads removed"),
                Err(error) => tracing::warn!(%error, "orphan cleanup failed"),
            }
        }
    }
}
