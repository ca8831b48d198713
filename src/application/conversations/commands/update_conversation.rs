use std::sync::Arc;

use uuid::Uuid;

use crate::application::attachments::Avatars;
use crate::application::conversations::{ConversationView, ConversationsPorts, member_of};
use crate::application::error::AppError;
use crate::application::ports::Clock;
use crate::domain::attachments::AvatarOf;
use crate::domain::conversations::{
    ConversationRepository, Description, ParticipantRepository, Title,
};
use crate::domain::shared::{ConversationId, DomainEvent, UserId};

#[derive(Debug, Clone, Default)]
pub struct UpdateConversation {
    pub title: Option<Title>,
    pub description: Option<Description>,
    /// `Some(None)` removes the avatar.
    pub avatar_id: Option<Option<Uuid>>,
}

/// Changes a group's or channel's name, description or avatar (owners and admins).
pub struct UpdateConversationHandler {
    conversations: Arc<dyn ConversationRepository>,
    participants: Arc<dyn ParticipantRepository>,
    avatars: Avatars,
    clock: Arc<dyn Clock>,
}

impl UpdateConversationHandler {
    pub fn new(ports: &ConversationsPorts) -> Self {
        Self {
            conversations: ports.conversations.clone(),
            participants: ports.participants.clone(),
            avatars: ports.avatars.clone(),
            clock: ports.clock.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id))]
    pub async fn handle(
        &self,
        me: UserId,
        id: ConversationId,
        changes: UpdateConversation,
    ) -> Result<ConversationView, AppError> {
        let (mut conversation, participant) =
            member_of(self.conversations.as_ref(), id, me).await?;
        conversation.check_can_edit(&participant)?;
        if let Some(title) = changes.title {
            conversation.title = Some(title);
        }
        if let Some(description) = changes.description {
            conversation.description = description;
        }
        if let Some(avatar_id) = changes.avatar_id {
            let of = AvatarOf::Conversation(id);
            let current = conversation.avatar_id;
            self.avatars.change(me, of, current, avatar_id).await?;
            conversation.avatar_id = avatar_id;
        }
        conversation.updated_at = self.clock.now();
        let updated = DomainEvent::ConversationUpdated {
            conversation_id: id,
        };
        self.conversations.update(&conversation, &[updated]).await?;
        ConversationView::read(self.participants.as_ref(), conversation, participant).await
    }
}
