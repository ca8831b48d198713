use std::sync::Arc;

use crate::application::conversations::{ConversationView, ConversationsPorts, member_of};
use crate::application::error::AppError;
use crate::domain::conversations::{ConversationRepository, ParticipantRepository};
use crate::domain::shared::{ConversationId, UserId};

/// One conversation as the caller, a participant, sees it.
pub struct ConversationHandler {
    conversations: Arc<dyn ConversationRepository>,
    participants: Arc<dyn ParticipantRepository>,
}

impl ConversationHandler {
    pub fn new(ports: &ConversationsPorts) -> Self {
        Self {
            conversations: ports.conversations.clone(),
            participants: ports.participants.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id))]
    pub async fn handle(
        &self,
        me: UserId,
        id: ConversationId,
    ) -> Result<ConversationView, AppError> {
        let (conversation, participant) = member_of(self.conversations.as_ref(), id, me).await?;
        ConversationView::read(self.participants.as_ref(), conversation, participant).await
    }
}
