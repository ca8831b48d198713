//! The commands on conversations: create, rename, delete, members, roles, mute.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use uuid::Uuid;

use super::contacts::maybe;
use super::conversations::{Conversation, ConversationKind, Participant, Role};
use super::{state, viewer};
use crate::application::error::AppError;
use crate::domain::shared::{ConversationId, UserId};
use crate::presentation::http::conversations::{
    CreateConversationBody, KindBody, UpdateConversationBody,
};

#[derive(InputObject)]
pub struct CreateConversationInput {
    kind: ConversationKind,
    /// The other user of a direct chat.
    user_id: Option<Uuid>,
    /// Required for a group or channel.
    title: Option<String>,
    description: Option<String>,
    /// Members of a group or channel besides the creator (at most 1000).
    #[graphql(default)]
    member_ids: Vec<Uuid>,
}

#[derive(SimpleObject)]
pub struct CreateConversationPayload {
    conversation: Conversation,
    /// `false` when the direct chat existed already: this is that one.
    created: bool,
}

#[derive(InputObject)]
pub struct UpdateConversationInput {
    title: Option<String>,
    description: Option<String>,
    /// An upload of the caller's; `null` removes the picture.
    avatar_id: MaybeUndefined<Uuid>,
}

#[derive(Default)]
pub struct ConversationsMutation;

#[Object]
impl ConversationsMutation {
    /// Start a conversation; a direct chat that exists already is returned as it is.
    async fn create_conversation(
        &self,
        ctx: &Context<'_>,
        input: CreateConversationInput,
    ) -> Result<CreateConversationPayload> {
        let me = viewer(ctx)?;
        let body = CreateConversationBody {
            kind: match input.kind {
                ConversationKind::Direct => KindBody::Direct,
                ConversationKind::Group => KindBody::Group,
                ConversationKind::Channel => KindBody::Channel,
                ConversationKind::Business => {
                    let why = "business chats are opened with POST /api/v1/businesses/{id}/cases";
                    return Err(AppError::invalid("kind", why).into());
                }
            },
            user_id: input.user_id,
            title: input.title,
            description: input.description,
            member_ids: input.member_ids,
        };
        let command = body.into_command()?;
        let (view, created) = state(ctx).conversations.create.handle(me, command).await?;
        Ok(CreateConversationPayload {
            conversation: Conversation(view),
            created,
        })
    }

    /// Rename or describe a group or channel (owners and admins).
    async fn update_conversation(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateConversationInput,
    ) -> Result<Conversation> {
        let me = viewer(ctx)?;
        let body = UpdateConversationBody {
            title: input.title,
            description: input.description,
            avatar_id: maybe(input.avatar_id),
        };
        let changes = body.into_changes()?;
        let view = state(ctx)
            .conversations
            .update
            .handle(me, ConversationId::from_uuid(id), changes)
            .await?;
        Ok(Conversation(view))
    }

    /// Delete a group or channel with its history (owners).
    async fn delete_conversation(&self, ctx: &Context<'_>, id: Uuid) -> Result<bool> {
        let me = viewer(ctx)?;
        state(ctx)
            .conversations
            .delete
            .handle(me, ConversationId::from_uuid(id))
            .await?;
        Ok(true)
    }

    /// Add members (owners and admins); returns who joined (those already in are left out).
    async fn add_participants(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        user_ids: Vec<Uuid>,
    ) -> Result<Vec<Uuid>> {
        let me = viewer(ctx)?;
        if user_ids.is_empty() || user_ids.len() > 1000 {
            return Err(AppError::invalid("user_ids", "must list 1 to 1000 users").into());
        }
        let users = user_ids.into_iter().map(UserId::from_uuid).collect();
        let added = state(ctx)
            .conversations
            .add_participants
            .handle(me, ConversationId::from_uuid(id), users)
            .await?;
        Ok(added.into_iter().map(|u| u.as_uuid()).collect())
    }

    /// Remove a participant, or leave (the caller's own id).
    async fn remove_participant(&self, ctx: &Context<'_>, id: Uuid, user_id: Uuid) -> Result<bool> {
        let me = viewer(ctx)?;
        state(ctx)
            .conversations
            .remove_participant
            .handle(
                me,
                ConversationId::from_uuid(id),
                UserId::from_uuid(user_id),
            )
            .await?;
        Ok(true)
    }

    /// Change a participant's role (owners).
    async fn change_role(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        user_id: Uuid,
        role: Role,
    ) -> Result<Participant> {
        let me = viewer(ctx)?;
        let participant = state(ctx)
            .conversations
            .change_role
            .handle(
                me,
                ConversationId::from_uuid(id),
                UserId::from_uuid(user_id),
                role.into(),
            )
            .await?;
        Ok(Participant(participant))
    }

    /// Mute or unmute the conversation for the caller.
    async fn set_muted(&self, ctx: &Context<'_>, id: Uuid, muted: bool) -> Result<bool> {
        let me = viewer(ctx)?;
        state(ctx)
            .conversations
            .mute
            .handle(me, ConversationId::from_uuid(id), muted)
            .await?;
        Ok(muted)
    }
}
