use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;

use crate::application::error::AppError;
use crate::application::messages::MessagesPorts;
use crate::application::ports::Clock;
use crate::domain::conversations::{DeliveredMark, MarkerRepository};
use crate::domain::shared::{ConversationId, UserId};

/// Every connection moves a delivered marker for every message it takes: one write each would
/// make a 500-member group cost 500 commits per message. Marks are coalesced per (conversation,
/// user) and written together, in one transaction per flush.
pub struct DeliveredBatch {
    pending: Mutex<HashMap<(ConversationId, UserId), i64>>,
    markers: Arc<dyn MarkerRepository>,
    clock: Arc<dyn Clock>,
}

impl DeliveredBatch {
    pub fn new(ports: &MessagesPorts) -> Self {
        Self {
            pending: Mutex::new(HashMap::new()),
            markers: ports.markers.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Records that `user` received `conversation` up to `seq` (a seq the server itself sent).
    pub fn record(&self, user: UserId, conversation: ConversationId, seq: i64) {
        let mut pending = self.lock();
        let highest = pending.entry((conversation, user)).or_default();
        *highest = (*highest).max(seq);
    }

    /// Writes what was recorded and announces the markers that moved.
    pub async fn flush(&self) -> Result<usize, AppError> {
        let taken = std::mem::take(&mut *self.lock());
        self.write(taken.into_iter()).await
    }

    /// Writes what was recorded for `user` alone, before they go offline: the notifications
    /// reader then sees what reached them. The others wait for the next flush.
    pub async fn flush_user(&self, user: UserId) -> Result<usize, AppError> {
        let taken: Vec<_> = {
            let mut pending = self.lock();
            let theirs: Vec<_> = (pending.keys())
                .filter(|(_, u)| *u == user)
                .copied()
                .collect();
            (theirs.into_iter())
                .filter_map(|key| pending.remove_entry(&key))
                .collect()
        };
        self.write(taken.into_iter()).await
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(ConversationId, UserId), i64>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn write(
        &self,
        taken: impl Iterator<Item = ((ConversationId, UserId), i64)>,
    ) -> Result<usize, AppError> {
        let marks: Vec<DeliveredMark> = taken
            .map(|((conversation_id, user_id), seq)| DeliveredMark {
                conversation_id,
                user_id,
                seq,
            })
            .collect();
        if marks.is_empty() {
            return Ok(0);
        }
        let moved = self
            .markers
            .mark_delivered_many(&marks, self.clock.now())
            .await?;
        Ok(moved.len())
    }

    /// Flushes every `interval`, and once more when the server stops.
    pub async fn run(self: Arc<Self>, interval: Duration, mut shutdown: watch::Receiver<bool>) {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let stopping = tokio::select! {
                _ = ticks.tick() => false,
                _ = shutdown.changed() => true,
            };
            if let Err(error) = self.flush().await {
                tracing::warn!(%error, "delivered markers not written");
            }
            if stopping {
                return;
            }
        }
    }
}
