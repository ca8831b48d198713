//! Conversations use cases: create (direct, group, channel), read, change, delete, members and
//! roles, mute, and the chat list. Every one checks membership first: a non-member gets the
//! same `conversation_not_found` as for a conversation that does not exist.

pub mod chat_order;
pub mod commands;
mod members;
pub mod queries;

use std::sync::Arc;

pub use commands::{
    AddParticipantsHandler, ChangeRoleHandler, CreateConversation, CreateConversationHandler,
    DeleteConversationHandler, MuteConversationHandler, RemoveParticipantHandler,
    UpdateConversation, UpdateConversationHandler,
};
pub use members::{MEMBER_LISTS_CACHED, Members};
pub use queries::{ChatList, ChatListHandler, ConversationHandler, ParticipantListHandler};

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

/// What the conversations handlers are built from; each keeps only the ports it uses.
pub struct ConversationsPorts {
    pub conversations: Arc<dyn ConversationRepository>,
    pub participants: Arc<dyn ParticipantRepository>,
    pub chat_list: Arc<dyn ChatListQueries>,
    pub chat_order: Arc<chat_order::ChatOrder>,
    pub profiles: Arc<dyn ProfileRepository>,
    pub relationships: Relationships,
    pub clock: Arc<dyn Clock>,
    pub max_group_participants: u64,
    pub create_limit: WriteLimit,
    pub avatars: Avatars,
}

/// A conversation as one of its participants sees it.
#[derive(Debug, Clone)]
pub struct ConversationView {
    pub conversation: Conversation,
    pub me: Participant,
    pub participant_count: u64,
    /// The other participant of a direct chat.
    pub other_user: Option<UserId>,
}

impl ConversationView {
    /// `conversation` as `me` sees it, counting its members.
    async fn read(
        participants: &dyn ParticipantRepository,
        conversation: Conversation,
        me: Participant,
    ) -> Result<Self, AppError> {
        let ids = participants.participant_ids(conversation.id).await?;
        let other_user = conversation.direct_peer(&ids, me.user_id);
        Ok(Self {
            participant_count: ids.len() as u64,
            conversation,
            me,
            other_user,
        })
    }
}

/// Refuses, changing nothing, when any of `invitees` is unknown, has blocked `inviter`, or
/// does not let `inviter` add them to a group or channel (their `group_invites` setting).
/// `field` names the request's list in the refusal.
async fn check_invitees(
    profiles: &dyn ProfileRepository,
    relationships: &Relationships,
    inviter: UserId,
    invitees: &[UserId],
    field: &'static str,
) -> Result<(), AppError> {
    let found = profiles.find_many(invitees).await?;
    let mut unknown = Vec::new();
    for invitee in invitees {
        // Someone who blocked the inviter is as unknown to them as someone who does not exist.
        if !found.iter().any(|p| p.id == *invitee)
            || relationships.is_blocked_by(*invitee, inviter).await?
        {
            unknown.push(invitee.to_string());
        }
    }
    if !unknown.is_empty() {
        return Err(AppError::invalid(
            field,
            format!("unknown users: {}", unknown.join(", ")),
        ));
    }
    for invitee in invitees {
        if !relationships.may_add_to_group(inviter, *invitee).await? {
            return Err(AppError::Forbidden("group_invite_not_allowed"));
        }
    }
    Ok(())
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

/// Every conversations handler, built once at startup.
pub struct ConversationsHandlers {
    pub create: CreateConversationHandler,
    pub get: ConversationHandler,
    pub update: UpdateConversationHandler,
    pub delete: DeleteConversationHandler,
    pub mute: MuteConversationHandler,
    pub participants: ParticipantListHandler,
    pub add_participants: AddParticipantsHandler,
    pub remove_participant: RemoveParticipantHandler,
    pub change_role: ChangeRoleHandler,
    pub chat_list: ChatListHandler,
}

impl ConversationsHandlers {
    pub fn new(ports: &ConversationsPorts) -> Self {
        Self {
            create: CreateConversationHandler::new(ports),
            get: ConversationHandler::new(ports),
            update: UpdateConversationHandler::new(ports),
            delete: DeleteConversationHandler::new(ports),
            mute: MuteConversationHandler::new(ports),
            participants: ParticipantListHandler::new(ports),
            add_participants: AddParticipantsHandler::new(ports),
            remove_participant: RemoveParticipantHandler::new(ports),
            change_role: ChangeRoleHandler::new(ports),
            chat_list: ChatListHandler::new(ports),
        }
    }
}
