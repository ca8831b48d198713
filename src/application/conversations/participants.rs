use std::sync::Arc;

use super::ConversationsDeps;
use crate::application::error::AppError;
use crate::domain::conversations::{Participant, Role};
use crate::domain::shared::{ConversationId, DomainEvent, UserId};

pub struct ParticipantsHandler(Arc<ConversationsDeps>);

impl ParticipantsHandler {
    pub fn new(deps: Arc<ConversationsDeps>) -> Self {
        Self(deps)
    }

    pub async fn list(&self, me: UserId, id: ConversationId) -> Result<Vec<Participant>, AppError> {
        self.0.member_of(id, me).await?;
        Ok(self.0.participants.participants(id).await?)
    }

    /// Adds members (owners and admins only); those already in are skipped. Returns who joined.
    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id))]
    pub async fn add(
        &self,
        me: UserId,
        id: ConversationId,
        users: Vec<UserId>,
    ) -> Result<Vec<UserId>, AppError> {
        let deps = &self.0;
        let (conversation, actor) = deps.member_of(id, me).await?;
        let present = deps.participants.participant_ids(id).await?;
        let mut users: Vec<UserId> = users.into_iter().filter(|u| !present.contains(u)).collect();
        users.sort();
        users.dedup();
        conversation.check_can_add(
            &actor,
            present.len() as u64,
            users.len() as u64,
            deps.max_group_participants,
        )?;
        let found = deps.profiles.find_many(&users).await?;
        let mut unknown = Vec::new();
        for user in &users {
            if !found.iter().any(|p| p.id == *user)
                || deps.relationships.is_blocked_by(*user, me).await?
            {
                unknown.push(user.to_string());
            }
        }
        if !unknown.is_empty() {
            return Err(AppError::invalid(
                "user_ids",
                format!("unknown users: {}", unknown.join(", ")),
            ));
        }
        deps.check_invites(me, &users).await?;
        let now = deps.clock.now();
        let members: Vec<Participant> = users
            .iter()
            .map(|u| Participant::new(*u, Role::Member, now))
            .collect();
        Ok(deps.participants.add_participants(id, &members, me).await?)
    }

    /// Removes someone, or leaves when `user` is the caller.
    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id, target = %user))]
    pub async fn remove(
        &self,
        me: UserId,
        id: ConversationId,
        user: UserId,
    ) -> Result<(), AppError> {
        let deps = &self.0;
        let (conversation, actor) = deps.member_of(id, me).await?;
        let target = deps
            .conversations
            .find_for_member(id, user)
            .await?
            .map(|(_, p)| p);
        let target = target.ok_or(AppError::NotFound("participant_not_found"))?;
        let owners = deps.participants.count_owners(id).await?;
        conversation.check_can_remove(&actor, &target, owners)?;
        let removed = DomainEvent::ParticipantRemoved {
            conversation_id: id,
            user_id: user,
            by: me,
        };
        deps.participants
            .remove_participant(id, user, &[removed])
            .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %id, target = %user))]
    pub async fn set_role(
        &self,
        me: UserId,
        id: ConversationId,
        user: UserId,
        role: Role,
    ) -> Result<Participant, AppError> {
        let deps = &self.0;
        let (conversation, actor) = deps.member_of(id, me).await?;
        let target = deps
            .conversations
            .find_for_member(id, user)
            .await?
            .map(|(_, p)| p);
        let mut target = target.ok_or(AppError::NotFound("participant_not_found"))?;
        let owners = deps.participants.count_owners(id).await?;
        conversation.check_can_change_role(&actor, &target, role, owners)?;
        let updated = DomainEvent::ConversationUpdated {
            conversation_id: id,
        };
        deps.participants
            .set_role(id, user, role, &[updated])
            .await?;
        target.role = role;
        Ok(target)
    }
}
