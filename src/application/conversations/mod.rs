//! Conversations use cases: create (direct, group, channel), read, change, delete, members and
//! roles, mute, and the chat list. Every one checks membership first: a non-member gets the
//! same `conversation_not_found` as for a conversation that does not exist.

mod chat_list;
mod manage;
mod members;
mod participants;

use std::sync::Arc;

pub use chat_list::{ChatList, ChatListHandler};
pub use manage::{ConversationView, ConversationsHandler, CreateConversation, UpdateConversation};
pub use members::{MEMBER_LISTS_CACHED, Members, membership_changed};
pub use participants::ParticipantsHandler;

use crate::application::attachments::Avatars;
use crate::application::error::AppError;
use crate::application::limits::WriteLimit;
use crate::application::ports::Clock;
use crate::application::users::Relationships;
use crate::domain::conversations::{
    ChatListQueries, Conversation, ConversationError, ConversationRepository, Participant,
    ParticipantRepository,
};
use crate::domain::shared::{ConversationId, UserId};
use crate::domain::users::ProfileRepository;

/// The conversation as seen by `user`, who must be in it: not a member and no such conversation
/// answer alike, `conversation_not_found`.
pub async fn member_of(
    conversations: &dyn ConversationRepository,
    id: ConversationId,
    user: UserId,
) -> Result<(Conversation, Participant), AppError> {
    conversations
        .find_for_member(id, user)
        .await?
        .ok_or(AppError::NotFound("conversation_not_found"))
}

pub struct ConversationsDeps {
    pub conversations: Arc<dyn ConversationRepository>,
    pub participants: Arc<dyn ParticipantRepository>,
    pub chat_list: Arc<dyn ChatListQueries>,
    pub profiles: Arc<dyn ProfileRepository>,
    pub relationships: Relationships,
    pub clock: Arc<dyn Clock>,
    pub max_group_participants: u64,
    pub create_limit: WriteLimit,
    pub avatars: Avatars,
}

impl ConversationsDeps {
    pub async fn member_of(
        &self,
        id: ConversationId,
        user: UserId,
    ) -> Result<(Conversation, Participant), AppError> {
        member_of(self.conversations.as_ref(), id, user).await
    }

    /// Refuses, changing nothing, when any of `invitees` does not let `inviter` add them to a
    /// group or channel (their `group_invites` setting).
    async fn check_invites(&self, inviter: UserId, invitees: &[UserId]) -> Result<(), AppError> {
        for invitee in invitees {
            if !self
                .relationships
                .may_add_to_group(inviter, *invitee)
                .await?
            {
                return Err(AppError::Forbidden("group_invite_not_allowed"));
            }
        }
        Ok(())
    }
}

impl From<ConversationError> for AppError {
    fn from(error: ConversationError) -> Self {
        match error {
            ConversationError::TitleInvalid => AppError::invalid("title", error.to_string()),
            ConversationError::DescriptionTooLong => {
                AppError::invalid("description", error.to_string())
            }
            ConversationError::DirectIsFixed => AppError::Forbidden("direct_chat_is_fixed"),
            ConversationError::BusinessIsRouted => AppError::Forbidden("business_chat_is_routed"),
            ConversationError::ChannelIsAdminOnly => AppError::Forbidden("channel_is_admin_only"),
            ConversationError::AdminOnly => AppError::Forbidden("admin_only"),
            ConversationError::OwnerOnly => AppError::Forbidden("owner_only"),
            ConversationError::LastOwner => AppError::Conflict("last_owner"),
            ConversationError::Full => AppError::Conflict("conversation_full"),
        }
    }
}

pub struct ConversationsHandlers {
    pub conversations: ConversationsHandler,
    pub participants: ParticipantsHandler,
    pub chat_list: ChatListHandler,
}

impl ConversationsHandlers {
    pub fn new(deps: Arc<ConversationsDeps>) -> Self {
        Self {
            conversations: ConversationsHandler::new(deps.clone()),
            participants: ParticipantsHandler::new(deps.clone()),
            chat_list: ChatListHandler::new(deps),
        }
    }
}
