use std::sync::Arc;

use crate::application::conversations::{ConversationsPorts, check_invitees, member_of};
use crate::application::error::AppError;
use crate::application::ports::Clock;
use crate::application::users::Relationships;
use crate::domain::conversations::{
    ConversationRepository, Participant, ParticipantRepository, Role,
};
use crate::domain::shared::{ConversationId, UserId};
use crate::domain::users::ProfileRepository;

/// Adds members (owners and admins only); those already in are skipped. Returns who joined.
pub struct AddParticipantsHandler {
    conversations: Arc<dyn ConversationRepository>,
    participants: Arc<dyn ParticipantRepository>,
    profiles: Arc<dyn ProfileRepository>,
    relationships: Relationships,
    clock: Arc<dyn Clock>,
    max_group_participants: u64,
}

impl AddParticipantsHandler {
    pub fn new(ports: &ConversationsPorts) -> Self {
        Self {
            conversations: ports.conversations.clone(),
            participants: ports.participants.clone(),
            profiles: ports.profiles.clone(),
            relationships: ports.relationships.clone(),
            clock: ports.clock.clone(),
            max_group_participants: ports.max_group_participants,
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id))]
    pub async fn handle(
        &self,
        me: UserId,
        id: ConversationId,
        users: Vec<UserId>,
    ) -> Result<Vec<UserId>, AppError> {
        let (conversation, actor) = member_of(self.conversations.as_ref(), id, me).await?;
        let present = self.participants.participant_ids(id).await?;
        let mut users: Vec<UserId> = users.into_iter().filter(|u| !present.contains(u)).collect();
        users.sort();
        users.dedup();
        conversation.check_can_add(
            &actor,
            present.len() as u64,
            users.len() as u64,
            self.max_group_participants,
        )?;
        check_invitees(
            self.profiles.as_ref(),
            &self.relationships,
            me,
            &users,
            "user_ids",
        )
        .await?;
        let now = self.clock.now();
        let members: Vec<Participant> = users
            .iter()
            .map(|u| Participant::new(*u, Role::Member, now))
            .collect();
        Ok(self.participants.add_participants(id, &members, me).await?)
    }
}
