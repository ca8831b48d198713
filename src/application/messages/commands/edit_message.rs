use std::sync::Arc;

use crate::application::conversations::member_of;
use crate::application::error::AppError;
use crate::application::messages::{MessageView, MessagesPorts, message_in, view};
use crate::application::ports::Clock;
use crate::domain::conversations::ConversationRepository;
use crate::domain::messages::{HistoryQueries, MessageContent, MessageRepository};
use crate::domain::shared::{ConversationId, DomainEvent, MessageId, UserId};

pub struct EditMessage {
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub content: MessageContent,
}

/// Replaces a message's text (author only) and records `edited_at`.
pub struct EditMessageHandler {
    conversations: Arc<dyn ConversationRepository>,
    messages: Arc<dyn MessageRepository>,
    history: Arc<dyn HistoryQueries>,
    clock: Arc<dyn Clock>,
}

impl EditMessageHandler {
    pub fn new(ports: &MessagesPorts) -> Self {
        Self {
            conversations: ports.conversations.clone(),
            messages: ports.messages.clone(),
            history: ports.history.clone(),
            clock: ports.clock.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %cmd.conversation_id))]
    pub async fn handle(&self, me: UserId, cmd: EditMessage) -> Result<MessageView, AppError> {
        member_of(self.conversations.as_ref(), cmd.conversation_id, me).await?;
        let mut message =
            message_in(self.messages.as_ref(), cmd.conversation_id, cmd.message_id).await?;
        let now = self.clock.now();
        message.edit(me, &cmd.content, now)?;
        let updated = DomainEvent::MessageUpdated(message.change());
        self.messages
            .edit(message.id(), &cmd.content, now, &[updated])
            .await?;
        view(self.history.as_ref(), message, me).await
    }
}
