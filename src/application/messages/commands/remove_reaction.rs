use std::sync::Arc;

use super::React;
use crate::application::conversations::member_of;
use crate::application::error::AppError;
use crate::application::messages::{MessagesPorts, message_in};
use crate::domain::conversations::ConversationRepository;
use crate::domain::messages::MessageRepository;
use crate::domain::shared::{DomainEvent, UserId};

/// Takes back the caller's reaction; `reaction_not_found` when there was none.
pub struct RemoveReactionHandler {
    conversations: Arc<dyn ConversationRepository>,
    messages: Arc<dyn MessageRepository>,
}

impl RemoveReactionHandler {
    pub fn new(ports: &MessagesPorts) -> Self {
        Self {
            conversations: ports.conversations.clone(),
            messages: ports.messages.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %cmd.conversation_id))]
    pub async fn handle(&self, me: UserId, cmd: React) -> Result<(), AppError> {
        let (id, message_id) = (cmd.conversation_id, cmd.message_id);
        member_of(self.conversations.as_ref(), id, me).await?;
        message_in(self.messages.as_ref(), id, message_id).await?;
        let removed = DomainEvent::ReactionRemoved(cmd.by(me));
        let had = self
            .messages
            .remove_reaction(message_id, me, &cmd.emoji, &[removed])
            .await?;
        if !had {
            return Err(AppError::NotFound("reaction_not_found"));
        }
        Ok(())
    }
}
