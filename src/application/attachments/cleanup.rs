use std::sync::Arc;
use std::time::Duration;

use super::{AttachmentsPorts, FileStore};
use crate::application::ports::Clock;
use crate::domain::attachments::AttachmentRepository;

/// Deletes uploads neither sent nor an avatar once they are older than `ttl`, and discarded
/// ones (of deleted messages and conversations, replaced avatars) at once. Safe with several
/// instances: an upload is first marked discarded while still unclaimed (so nothing can take
/// it after), then its bytes go, then its row; a removal that fails is retried next pass.
pub struct OrphanCleanup {
    attachments: Arc<dyn AttachmentRepository>,
    store: Arc<dyn FileStore>,
    clock: Arc<dyn Clock>,
    ttl: Duration,
}

impl OrphanCleanup {
    pub fn new(ports: &AttachmentsPorts, ttl: Duration) -> Self {
        Self {
            attachments: ports.attachments.clone(),
            store: ports.store.clone(),
            clock: ports.clock.clone(),
            ttl,
        }
    }

    /// One pass; returns how many uploads were removed.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let ttl = time::Duration::try_from(self.ttl)?;
        let before = self.clock.now() - ttl;
        let mut removed = 0;
        for orphan in self.attachments.orphans(before, 500).await? {
            if !self.attachments.discard_orphan(orphan.id).await? {
                continue;
            }
            let mut gone = true;
            for key in [orphan.storage_key(), orphan.thumbnail_key()] {
                if let Err(error) = self.store.delete(&key).await {
                    tracing::warn!(%error, key, "stored file not removed; retried next pass");
                    gone = false;
                }
            }
            if gone {
                self.attachments.delete_discarded(orphan.id).await?;
                removed += 1;
            }
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
