use std::sync::Arc;

use super::MembershipChange;
use crate::application::conversations::ConversationsPorts;
use crate::application::error::AppError;
use crate::domain::conversations::{ConversationRepository, ParticipantRepository};
use crate::domain::shared::{ConversationId, DomainEvent, MemberChange, UserId};

/// Removes someone (owners and admins, by rank), or leaves when `user` is the caller.
pub struct RemoveParticipantHandler {
    conversations: Arc<dyn ConversationRepository>,
    participants: Arc<dyn ParticipantRepository>,
}

impl RemoveParticipantHandler {
    pub fn new(ports: &ConversationsPorts) -> Self {
        Self {
            conversations: ports.conversations.clone(),
            participants: ports.participants.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id, target = %user))]
    pub async fn handle(
        &self,
        me: UserId,
        id: ConversationId,
        user: UserId,
    ) -> Result<(), AppError> {
        let (conversations, participants) =
            (self.conversations.as_ref(), self.participants.as_ref());
        let change = MembershipChange::read(conversations, participants, id, me, user).await?;
        change
            .conversation
            .check_can_remove(&change.actor, &change.target, change.owners)?;
        let removed = DomainEvent::ParticipantRemoved(MemberChange {
            conversation_id: id,
            user_id: user,
            by: me,
        });
        self.participants
            .remove_participant(id, user, &[removed])
            .await?;
        Ok(())
    }
}
