use std::sync::Arc;

use crate::application::conversations::member_of;
use crate::application::error::AppError;
use crate::application::messages::{MessagesPorts, message_in};
use crate::application::ports::Clock;
use crate::domain::conversations::ConversationRepository;
use crate::domain::messages::MessageRepository;
use crate::domain::shared::{ConversationId, DomainEvent, MessageId, UserId};

/// Soft-deletes a message (author, or an owner or admin of the conversation): the seq stays,
/// the content is gone from every response. Deleting twice is not an error.
pub struct DeleteMessageHandler {
    conversations: Arc<dyn ConversationRepository>,
    messages: Arc<dyn MessageRepository>,
    clock: Arc<dyn Clock>,
}

impl DeleteMessageHandler {
    pub fn new(ports: &MessagesPorts) -> Self {
        Self {
            conversations: ports.conversations.clone(),
            messages: ports.messages.clone(),
            clock: ports.clock.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %conversation_id))]
    pub async fn handle(
        &self,
        me: UserId,
        conversation_id: ConversationId,
        message_id: MessageId,
    ) -> Result<(), AppError> {
        let (_, participant) = member_of(self.conversations.as_ref(), conversation_id, me).await?;
        let message = message_in(self.messages.as_ref(), conversation_id, message_id).await?;
        message.check_can_delete(me, participant.role.is_admin())?;
        if message.is_deleted() {
            return Ok(());
        }
        let deleted = DomainEvent::MessageDeleted(message.change());
        self.messages
            .soft_delete(message.id(), self.clock.now(), &[deleted])
            .await?;
        Ok(())
    }
}
