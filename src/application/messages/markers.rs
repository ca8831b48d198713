use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;

use super::MessagesDeps;
use crate::application::error::AppError;
use crate::domain::conversations::DeliveredMark;
use crate::domain::messages::Receipt;
use crate::domain::shared::{ConversationId, DomainEvent, MessageId, UserId};

pub struct ReceiptsView {
    pub message_seq: i64,
    pub receipts: Vec<Receipt>,
}

/// Read and delivered markers (forward only) and per-message receipts.
pub struct MarkersHandler(Arc<MessagesDeps>);

impl MarkersHandler {
    pub fn new(deps: Arc<MessagesDeps>) -> Self {
        Self(deps)
    }

    async fn check_seq(&self, me: UserId, id: ConversationId, seq: i64) -> Result<(), AppError> {
        let (conversation, _) = self.0.member_of(id, me).await?;
        if seq < 1 || seq > conversation.last_seq {
            return Err(AppError::invalid(
                "seq",
                format!("must be between 1 and {}", conversation.last_seq),
            ));
        }
        Ok(())
    }

    /// Moves the caller's read marker to `seq` unless it is further already; returns the marker.
    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id, seq))]
    pub async fn read(&self, me: UserId, id: ConversationId, seq: i64) -> Result<i64, AppError> {
        let deps = &self.0;
        self.check_seq(me, id, seq).await?;
        let moved = DomainEvent::ReadMarkerMoved {
            conversation_id: id,
            user_id: me,
            seq,
        };
        if deps
            .markers
            .mark_read(id, me, seq, deps.clock.now(), &[moved])
            .await?
        {
            return Ok(seq);
        }
        let (_, participant) = deps.member_of(id, me).await?;
        Ok(participant.read_seq)
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id, seq))]
    pub async fn delivered(
        &self,
        me: UserId,
        id: ConversationId,
        seq: i64,
    ) -> Result<i64, AppError> {
        let deps = &self.0;
        self.check_seq(me, id, seq).await?;
        let moved = DomainEvent::DeliveredMarkersMoved {
            conversation_id: id,
            users: vec![me],
            seq,
        };
        if deps
            .markers
            .mark_delivered(id, me, seq, deps.clock.now(), &[moved])
            .await?
        {
            return Ok(seq);
        }
        let (_, participant) = deps.member_of(id, me).await?;
        Ok(participant.delivered_seq)
    }

    /// Who has the message delivered and who has read it.
    pub async fn receipts(
        &self,
        me: UserId,
        id: ConversationId,
        message_id: MessageId,
    ) -> Result<ReceiptsView, AppError> {
        let deps = &self.0;
        deps.member_of(id, me).await?;
        let message = deps.message(id, message_id).await?;
        let receipts = deps
            .receipts
            .receipts(id, message.seq, message.sender_id)
            .await?;
        Ok(ReceiptsView {
            message_seq: message.seq,
            receipts,
        })
    }
}

/// Every connection moves a delivered marker for every message it takes: one write each would
/// make a 500-member group cost 500 commits per message. Marks are coalesced per (conversation,
/// user) and written together, in one transaction per flush.
pub struct DeliveredBatch {
    pending: Mutex<HashMap<(ConversationId, UserId), i64>>,
    deps: Arc<MessagesDeps>,
}

impl DeliveredBatch {
    pub fn new(deps: Arc<MessagesDeps>) -> Self {
        Self {
            pending: Mutex::new(HashMap::new()),
            deps,
        }
    }

    /// Records that `user` received `conversation` up to `seq` (a seq the server itself sent).
    pub fn record(&self, user: UserId, conversation: ConversationId, seq: i64) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let highest = pending.entry((conversation, user)).or_default();
        *highest = (*highest).max(seq);
    }

    /// Writes what was recorded and announces the markers that moved.
    pub async fn flush(&self) -> Result<usize, AppError> {
        let marks: Vec<DeliveredMark> = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            std::mem::take(&mut *pending)
                .into_iter()
                .map(|((conversation_id, user_id), seq)| DeliveredMark {
                    conversation_id,
                    user_id,
                    seq,
                })
                .collect()
        };
        if marks.is_empty() {
            return Ok(0);
        }
        let deps = &self.deps;
        let moved = deps
            .markers
            .mark_delivered_many(&marks, deps.clock.now())
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
