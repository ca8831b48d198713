use std::sync::Arc;

use crate::application::conversations::{ConversationsPorts, member_of};
use crate::application::error::AppError;
use crate::domain::conversations::{ConversationRepository, ParticipantRepository};
use crate::domain::shared::{ConversationId, UserId};

/// Mutes or unmutes a conversation for the caller only.
pub struct MuteConversationHandler {
    conversations: Arc<dyn ConversationRepository>,
    participants: Arc<dyn ParticipantRepository>,
}

impl MuteConversationHandler {
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
        muted: bool,
    ) -> Result<(), AppError> {
        member_of(self.conversations.as_ref(), id, me).await?;
        self.participants.set_muted(id, me, muted).await?;
        Ok(())
    }
}
