use std::sync::Arc;

use crate::application::conversations::{ConversationsPorts, member_of};
use crate::application::error::AppError;
use crate::domain::conversations::{ConversationRepository, Participant, ParticipantRepository};
use crate::domain::shared::{ConversationId, UserId};

/// Everyone in a conversation the caller is in, with their roles.
pub struct ParticipantListHandler {
    conversations: Arc<dyn ConversationRepository>,
    participants: Arc<dyn ParticipantRepository>,
}

impl ParticipantListHandler {
    pub fn new(ports: &ConversationsPorts) -> Self {
        Self {
            conversations: ports.conversations.clone(),
            participants: ports.participants.clone(),
        }
    }

    pub async fn handle(
        &self,
        me: UserId,
        id: ConversationId,
    ) -> Result<Vec<Participant>, AppError> {
        member_of(self.conversations.as_ref(), id, me).await?;
        Ok(self.participants.participants(id).await?)
    }
}
