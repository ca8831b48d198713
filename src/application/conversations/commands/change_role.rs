use std::sync::Arc;

use super::MembershipChange;
use crate::application::conversations::ConversationsPorts;
use crate::application::error::AppError;
use crate::domain::conversations::{
    ConversationRepository, Participant, ParticipantRepository, Role,
};
use crate::domain::shared::{ConversationId, DomainEvent, UserId};

/// Makes a member an owner, admin or plain member, as the actor's own role allows.
pub struct ChangeRoleHandler {
    conversations: Arc<dyn ConversationRepository>,
    participants: Arc<dyn ParticipantRepository>,
}

impl ChangeRoleHandler {
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
        role: Role,
    ) -> Result<Participant, AppError> {
        let (conversations, participants) =
            (self.conversations.as_ref(), self.participants.as_ref());
        let change = MembershipChange::read(conversations, participants, id, me, user).await?;
        change.conversation.check_can_change_role(
            &change.actor,
            &change.target,
            role,
            change.owners,
        )?;
        let updated = DomainEvent::ConversationUpdated {
            conversation_id: id,
        };
        self.participants
            .set_role(id, user, role, &[updated])
            .await?;
        let mut target = change.target;
        target.role = role;
        Ok(target)
    }
}
