use std::sync::Arc;

use super::MessagesDeps;
use crate::application::error::AppError;
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
        if deps
            .conversations
            .mark_read(id, me, seq, deps.clock.now())
            .await?
        {
            deps.events.publish(DomainEvent::ReadMarkerMoved {
                conversation_id: id,
                user_id: me,
                seq,
            });
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
        if deps
            .conversations
            .mark_delivered(id, me, seq, deps.clock.now())
            .await?
        {
            deps.events.publish(DomainEvent::DeliveredMarkerMoved {
                conversation_id: id,
                user_id: me,
                seq,
            });
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
            .messages
            .receipts(id, message.seq, message.sender_id)
            .await?;
        Ok(ReceiptsView {
            message_seq: message.seq,
            receipts,
        })
    }
}
