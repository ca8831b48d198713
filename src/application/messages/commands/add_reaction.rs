use std::sync::Arc;

use crate::application::conversations::member_of;
use crate::application::error::AppError;
use crate::application::limits::WriteLimit;
use crate::application::messages::{MessagesPorts, message_in};
use crate::application::ports::Clock;
use crate::domain::conversations::ConversationRepository;
use crate::domain::messages::{Emoji, HistoryQueries, MessageRepository, Reaction};
use crate::domain::shared::{ConversationId, DomainEvent, MessageId, ReactionChange, UserId};

/// One emoji on one message of a conversation: what adding and taking back a reaction name.
pub struct React {
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub emoji: Emoji,
}

impl React {
    /// The event's payload: `user` reacting so.
    pub(super) fn by(&self, user: UserId) -> ReactionChange {
        ReactionChange {
            conversation_id: self.conversation_id,
            message_id: self.message_id,
            user_id: user,
            emoji: self.emoji.as_str().to_owned(),
        }
    }
}

/// Adds the caller's reaction: one per user per emoji on a message.
pub struct AddReactionHandler {
    conversations: Arc<dyn ConversationRepository>,
    messages: Arc<dyn MessageRepository>,
    history: Arc<dyn HistoryQueries>,
    clock: Arc<dyn Clock>,
    limit: WriteLimit,
}

impl AddReactionHandler {
    pub fn new(ports: &MessagesPorts) -> Self {
        Self {
            conversations: ports.conversations.clone(),
            messages: ports.messages.clone(),
            history: ports.history.clone(),
            clock: ports.clock.clone(),
            limit: ports.react_limit.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %cmd.conversation_id))]
    pub async fn handle(&self, me: UserId, cmd: React) -> Result<(), AppError> {
        let (id, message_id) = (cmd.conversation_id, cmd.message_id);
        self.limit.spend(me).await?;
        member_of(self.conversations.as_ref(), id, me).await?;
        let message = message_in(self.messages.as_ref(), id, message_id).await?;
        if message.is_deleted() {
            return Err(AppError::Conflict("message_deleted"));
        }
        let mut existing = self.history.reactions(&[message_id], me).await?;
        let existing = existing.remove(&message_id).unwrap_or_default();
        Reaction::check_can_add(&existing, &cmd.emoji)?;
        let added = DomainEvent::ReactionAdded(cmd.by(me));
        self.messages
            .add_reaction(message_id, me, &cmd.emoji, self.clock.now(), &[added])
            .await?;
        Ok(())
    }
}
