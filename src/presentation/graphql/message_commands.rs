//! The commands on messages: send (idempotent by `clientMessageId`), edit, delete,
//! reactions, and the read and delivered markers.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use uuid::Uuid;

use super::messages::Message;
use super::{state, viewer};
use crate::application::error::AppError;
use crate::application::messages::{EditMessage, Marker, React};
use crate::domain::messages::{Emoji, MessageContent};
use crate::domain::shared::{ConversationId, MessageId};
use crate::presentation::http::messages::SendMessageBody;

#[derive(InputObject)]
pub struct SendMessageInput {
    /// 1 to 4000 characters; may be empty when `attachmentIds` has files.
    #[graphql(default)]
    content: String,
    /// The sender's idempotency key (1 to 64 printable ASCII): a retry returns the original.
    client_message_id: Option<String>,
    /// Reply in the thread of this message.
    reply_to: Option<Uuid>,
    #[graphql(default)]
    mentions: Vec<Uuid>,
    /// Up to 10 of the sender's uploads not sent yet.
    #[graphql(default)]
    attachment_ids: Vec<Uuid>,
}

#[derive(SimpleObject)]
pub struct SendMessagePayload {
    message: Message,
    /// `false` when `clientMessageId` named a message sent before: this is that one.
    created: bool,
}

#[derive(Default)]
pub struct MessagesMutation;

#[Object]
impl MessagesMutation {
    async fn send_message(
        &self,
        ctx: &Context<'_>,
        conversation_id: Uuid,
        input: SendMessageInput,
    ) -> Result<SendMessagePayload> {
        let me = viewer(ctx)?;
        let body = SendMessageBody {
            content: input.content,
            client_message_id: input.client_message_id,
            reply_to: input.reply_to,
            mentions: input.mentions,
            attachment_ids: input.attachment_ids,
        };
        let command = body.into_command(ConversationId::from_uuid(conversation_id))?;
        let (view, created) = state(ctx).messages.send.handle(me, command).await?;
        Ok(SendMessagePayload {
            message: Message(view),
            created,
        })
    }

    /// Edit a message's text (author only).
    async fn edit_message(
        &self,
        ctx: &Context<'_>,
        conversation_id: Uuid,
        message_id: Uuid,
        content: String,
    ) -> Result<Message> {
        let me = viewer(ctx)?;
        let command = EditMessage {
            conversation_id: ConversationId::from_uuid(conversation_id),
            message_id: MessageId::from_uuid(message_id),
            content: MessageContent::parse(&content).map_err(AppError::from)?,
        };
        Ok(Message(state(ctx).messages.edit.handle(me, command).await?))
    }

    /// Delete a message (author, or an owner or admin): its content goes, its seq stays.
    async fn delete_message(
        &self,
        ctx: &Context<'_>,
        conversation_id: Uuid,
        message_id: Uuid,
    ) -> Result<bool> {
        let me = viewer(ctx)?;
        state(ctx)
            .messages
            .delete
            .handle(
                me,
                ConversationId::from_uuid(conversation_id),
                MessageId::from_uuid(message_id),
            )
            .await?;
        Ok(true)
    }

    /// React with an emoji (once per user and emoji; repeating is harmless).
    async fn add_reaction(
        &self,
        ctx: &Context<'_>,
        conversation_id: Uuid,
        message_id: Uuid,
        emoji: String,
    ) -> Result<bool> {
        let me = viewer(ctx)?;
        let command = reaction(conversation_id, message_id, &emoji)?;
        let add = &state(ctx).messages.add_reaction;
        add.handle(me, command).await?;
        Ok(true)
    }

    async fn remove_reaction(
        &self,
        ctx: &Context<'_>,
        conversation_id: Uuid,
        message_id: Uuid,
        emoji: String,
    ) -> Result<bool> {
        let me = viewer(ctx)?;
        let command = reaction(conversation_id, message_id, &emoji)?;
        let remove = &state(ctx).messages.remove_reaction;
        remove.handle(me, command).await?;
        Ok(true)
    }

    /// Move the read marker forward to `seq`; returns the marker after the call.
    async fn mark_read(&self, ctx: &Context<'_>, conversation_id: Uuid, seq: i64) -> Result<i64> {
        let me = viewer(ctx)?;
        let id = ConversationId::from_uuid(conversation_id);
        Ok(state(ctx)
            .messages
            .move_marker
            .handle(me, id, Marker::Read, seq)
            .await?)
    }

    /// Move the delivered marker forward to `seq`; returns the marker after the call.
    async fn mark_delivered(
        &self,
        ctx: &Context<'_>,
        conversation_id: Uuid,
        seq: i64,
    ) -> Result<i64> {
        let me = viewer(ctx)?;
        let id = ConversationId::from_uuid(conversation_id);
        Ok(state(ctx)
            .messages
            .move_marker
            .handle(me, id, Marker::Delivered, seq)
            .await?)
    }
}

/// Which message with which emoji, checked.
fn reaction(conversation_id: Uuid, message_id: Uuid, emoji: &str) -> Result<React, AppError> {
    Ok(React {
        conversation_id: ConversationId::from_uuid(conversation_id),
        message_id: MessageId::from_uuid(message_id),
        emoji: Emoji::parse(emoji)?,
    })
}
