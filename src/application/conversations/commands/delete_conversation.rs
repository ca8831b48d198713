use std::sync::Arc;

use crate::application::conversations::{ConversationsPorts, member_of};
use crate::application::error::AppError;
use crate::domain::conversations::{ConversationRepository, ParticipantRepository};
use crate::domain::shared::{ConversationId, DomainEvent, UserId};

/// Deletes a group or channel (owners only), for everyone in it.
pub struct DeleteConversationHandler {
    conversations: Arc<dyn ConversationRepository>,
    participants: Arc<dyn ParticipantRepository>,
}

impl DeleteConversationHandler {
    pub fn new(ports: &ConversationsPorts) -> Self {
        Self {
            conversations: ports.conversations.clone(),
            participants: ports.participants.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id))]
    pub async fn handle(&self, me: UserId, id: ConversationId) -> Result<(), AppError> {
        let (conversation, participant) = member_of(self.conversations.as_ref(), id, me).await?;
        conversation.check_can_delete(&participant)?;
        let participants = self.participants.participant_ids(id).await?;
        let deleted = DomainEvent::ConversationDeleted {
            conversation_id: id,
            participants,
        };
        self.conversations.delete(id, &[deleted]).await?;
        Ok(())
    }
}
