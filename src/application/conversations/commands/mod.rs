//! The conversations context's commands: one use case per file, each handler holding only its
//! ports.

mod add_participants;
mod change_role;
mod create_conversation;
mod delete_conversation;
mod mute_conversation;
mod remove_participant;
mod update_conversation;

pub use add_participants::AddParticipantsHandler;
pub use change_role::ChangeRoleHandler;
pub use create_conversation::{CreateConversation, CreateConversationHandler};
pub use delete_conversation::DeleteConversationHandler;
pub use mute_conversation::MuteConversationHandler;
pub use remove_participant::RemoveParticipantHandler;
pub use update_conversation::{UpdateConversation, UpdateConversationHandler};

use crate::application::conversations::member_of;
use crate::application::error::AppError;
use crate::domain::conversations::{
    Conversation, ConversationRepository, Participant, ParticipantRepository,
};
use crate::domain::shared::{ConversationId, UserId};

/// What a change to `user`'s membership is judged on: the conversation, the actor's and the
/// target's memberships, and how many owners it has.
struct MembershipChange {
    conversation: Conversation,
    actor: Participant,
    target: Participant,
    owners: u64,
}

impl MembershipChange {
    async fn read(
        conversations: &dyn ConversationRepository,
        participants: &dyn ParticipantRepository,
        id: ConversationId,
        me: UserId,
        user: UserId,
    ) -> Result<Self, AppError> {
        let (conversation, actor) = member_of(conversations, id, me).await?;
        let target = conversations.find_for_member(id, user).await?;
        let (_, target) = target.ok_or(AppError::NotFound("participant_not_found"))?;
        let owners = participants.count_owners(id).await?;
        Ok(Self {
            conversation,
            actor,
            target,
            owners,
        })
    }
}
