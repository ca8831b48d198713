use std::sync::Arc;

use super::MessagesDeps;
use crate::application::error::AppError;
use crate::domain::messages::{Emoji, Reaction};
use crate::domain::shared::{ConversationId, DomainEvent, MessageId, UserId};

/// One reaction per user per emoji on a message.
pub struct ReactionsHandler(Arc<MessagesDeps>);

impl ReactionsHandler {
    pub fn new(deps: Arc<MessagesDeps>) -> Self {
        Self(deps)
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id))]
    pub async fn add(
        &self,
        me: UserId,
        id: ConversationId,
        message_id: MessageId,
        emoji: Emoji,
    ) -> Result<(), AppError> {
        let deps = &self.0;
        deps.react_limit.spend(me).await?;
        deps.member_of(id, me).await?;
        let message = deps.message(id, message_id).await?;
        if message.is_deleted() {
            return Err(AppError::Conflict("message_deleted"));
        }
        let mut existing = deps.history.reactions(&[message_id], me).await?;
        let existing = existing.remove(&message_id).unwrap_or_default();
        Reaction::check_can_add(&existing, &emoji)?;
        let added = DomainEvent::ReactionAdded {
            conversation_id: id,
            message_id,
            user_id: me,
            emoji: emoji.as_str().to_owned(),
        };
        deps.messages
            .add_reaction(message_id, me, &emoji, deps.clock.now(), &[added])
            .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id))]
    pub async fn remove(
        &self,
        me: UserId,
        id: ConversationId,
        message_id: MessageId,
        emoji: Emoji,
    ) -> Result<(), AppError> {
        let deps = &self.0;
        deps.member_of(id, me).await?;
        deps.message(id, message_id).await?;
        let removed = DomainEvent::ReactionRemoved {
            conversation_id: id,
            message_id,
            user_id: me,
            emoji: emoji.as_str().to_owned(),
        };
        if !deps
            .messages
            .remove_reaction(message_id, me, &emoji, &[removed])
            .await?
        {
            return Err(AppError::NotFound("reaction_not_found"));
        }
        Ok(())
    }
}
