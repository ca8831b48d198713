use std::sync::Arc;

use crate::application::conversations::member_of;
use crate::application::error::AppError;
use crate::application::messages::MessagesPorts;
use crate::application::ports::Clock;
use crate::domain::conversations::{ConversationRepository, Marker, MarkerRepository};
use crate::domain::shared::{ConversationId, DomainEvent, MarkerChange, UserId};

/// Moves the caller's read or delivered marker to `seq` unless it is further already.
pub struct MoveMarkerHandler {
    conversations: Arc<dyn ConversationRepository>,
    markers: Arc<dyn MarkerRepository>,
    clock: Arc<dyn Clock>,
}

impl MoveMarkerHandler {
    pub fn new(ports: &MessagesPorts) -> Self {
        Self {
            conversations: ports.conversations.clone(),
            markers: ports.markers.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Returns the marker after the call.
    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id, ?marker, seq))]
    pub async fn handle(
        &self,
        me: UserId,
        id: ConversationId,
        marker: Marker,
        seq: i64,
    ) -> Result<i64, AppError> {
        let (conversation, _) = member_of(self.conversations.as_ref(), id, me).await?;
        if seq < 1 || seq > conversation.last_seq {
            return Err(AppError::invalid(
                "seq",
                format!("must be between 1 and {}", conversation.last_seq),
            ));
        }
        let now = self.clock.now();
        let event = match marker {
            Marker::Read => DomainEvent::ReadMarkerMoved(MarkerChange {
                conversation_id: id,
                user_id: me,
                seq,
            }),
            Marker::Delivered => DomainEvent::DeliveredMarkersMoved {
                conversation_id: id,
                users: vec![me],
                seq,
            },
        };
        let announce = [event];
        let moved = self
            .markers
            .move_marker(marker, id, me, seq, now, &announce);
        if moved.await? {
            return Ok(seq);
        }
        let (_, participant) = member_of(self.conversations.as_ref(), id, me).await?;
        Ok(participant.marker(marker))
    }
}
