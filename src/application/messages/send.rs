use std::sync::Arc;

use super::{MessageView, MessagesDeps};
use crate::application::error::AppError;
use crate::domain::conversations::{Conversation, ConversationKind, Participant};
use crate::domain::messages::{ClientMessageId, MessageContent, MessageDraft, MessageKind};
use crate::domain::shared::{
    AttachmentId, ConversationId, DomainEvent, MessageId, RepoError, UserId,
};

pub struct SendMessage {
    pub conversation_id: ConversationId,
    pub content: MessageContent,
    pub client_message_id: Option<ClientMessageId>,
    pub reply_to: Option<MessageId>,
    pub mentions: Vec<UserId>,
    pub attachment_ids: Vec<AttachmentId>,
}

pub struct EditMessage {
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub content: MessageContent,
}

/// Send, edit and delete.
pub struct MessageCommandsHandler(Arc<MessagesDeps>);

impl MessageCommandsHandler {
    pub fn new(deps: Arc<MessagesDeps>) -> Self {
        Self(deps)
    }

    /// Stores and announces a message. A retry with a `client_message_id` the sender already
    /// used here returns the original message (`false`: not created), never a duplicate.
    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %cmd.conversation_id))]
    pub async fn send(
        &self,
        me: UserId,
        cmd: SendMessage,
    ) -> Result<(MessageView, bool), AppError> {
        let deps = &self.0;
        let started = std::time::Instant::now();
        deps.send_limit.spend(me).await?;
        let (conversation, participant) = deps.member_of(cmd.conversation_id, me).await?;
        let (conversation_id, key) = (conversation.id, cmd.client_message_id.clone());
        // The unique index finds a retry when it is stored; a retry that would be refused now
        // (posting rights lost, a block since) still gets its original.
        match self.store(me, conversation, participant, cmd).await {
            Err(refused) if key.is_some() => {
                let key = key.as_ref().map(|k| k.as_str()).unwrap_or_default();
                match deps
                    .messages
                    .find_by_client_id(conversation_id, me, key)
                    .await?
                {
                    Some(original) => Ok((self.view(original, me).await?, false)),
                    None => Err(refused),
                }
            }
            Ok(created) => {
                // From the request to its commit (the ack follows at once).
                metrics::histogram!("message_send_duration_seconds")
                    .record(started.elapsed().as_secs_f64());
                Ok(created)
            }
            refused => refused,
        }
    }

    async fn store(
        &self,
        me: UserId,
        conversation: Conversation,
        participant: Participant,
        cmd: SendMessage,
    ) -> Result<(MessageView, bool), AppError> {
        let deps = &self.0;
        conversation.check_can_post(&participant)?;
        // Only direct chats (blocks) and mentions need the member list: skip its query otherwise.
        let participants =
            if conversation.kind == ConversationKind::Direct || !cmd.mentions.is_empty() {
                deps.participants.participant_ids(conversation.id).await?
            } else {
                Vec::new()
            };
        if conversation.kind == ConversationKind::Direct
            && let Some(other) = participants.iter().copied().find(|id| *id != me)
            && deps.relationships.is_blocked(me, other).await?
        {
            // The same answer as a contacts-only refusal: a block is not told apart.
            return Err(AppError::Forbidden("direct_chat_not_allowed"));
        }
        if let Some(reply_to) = cmd.reply_to
            && deps
                .messages
                .find(conversation.id, reply_to)
                .await?
                .is_none()
        {
            return Err(AppError::invalid(
                "reply_to",
                "is not a message of this conversation",
            ));
        }
        let mut mentions = cmd.mentions;
        mentions.sort();
        mentions.dedup();
        if mentions.len() > 50 {
            return Err(AppError::invalid("mentions", "at most 50 users"));
        }
        if let Some(stranger) = mentions.iter().find(|id| !participants.contains(id)) {
            return Err(AppError::invalid(
                "mentions",
                format!("{stranger} is not in this conversation"),
            ));
        }
        let mut attachment_ids = cmd.attachment_ids;
        attachment_ids.sort();
        attachment_ids.dedup();
        if attachment_ids.len() > 10 {
            return Err(AppError::invalid("attachment_ids", "at most 10 files"));
        }
        let draft = MessageDraft {
            id: MessageId::new(),
            conversation_id: conversation.id,
            sender_id: me,
            kind: MessageKind::Text,
            content: cmd.content,
            client_message_id: cmd.client_message_id,
            reply_to: cmd.reply_to,
            mentions,
            attachment_ids,
            created_at: deps.clock.now(),
        };
        let message = match deps.messages.append(&draft).await {
            Ok(message) => message,
            // The same key raced in from another request: answer with the one that won.
            Err(RepoError::Duplicate("attachment_ids")) => {
                return Err(AppError::invalid(
                    "attachment_ids",
                    "each must be an upload of yours not sent yet",
                ));
            }
            Err(RepoError::Duplicate(_)) => {
                let key = draft
                    .client_message_id
                    .as_ref()
                    .map(|c| c.as_str())
                    .unwrap_or_default();
                let original = deps
                    .messages
                    .find_by_client_id(conversation.id, me, key)
                    .await?;
                let original = original.ok_or(AppError::Conflict("client_message_id_in_use"))?;
                return Ok((self.view(original, me).await?, false));
            }
            Err(error) => return Err(error.into()),
        };
        Ok((
            MessageView {
                message,
                reactions: Vec::new(),
            },
            true,
        ))
    }

    async fn view(
        &self,
        message: crate::domain::messages::Message,
        me: UserId,
    ) -> Result<MessageView, AppError> {
        let mut views = self.0.views(vec![message], me).await?;
        views
            .pop()
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("message view lost")))
    }

    /// Replaces the text (author only) and records `edited_at`.
    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %cmd.conversation_id))]
    pub async fn edit(&self, me: UserId, cmd: EditMessage) -> Result<MessageView, AppError> {
        let deps = &self.0;
        deps.member_of(cmd.conversation_id, me).await?;
        let mut message = deps.message(cmd.conversation_id, cmd.message_id).await?;
        message.check_can_edit(me)?;
        let now = deps.clock.now();
        let updated = DomainEvent::MessageUpdated {
            conversation_id: message.conversation_id,
            message_id: message.id,
            seq: message.seq,
        };
        deps.messages
            .edit(message.id, &cmd.content, now, &[updated])
            .await?;
        message.content = cmd.content.as_str().to_owned();
        message.edited_at = Some(now);
        self.view(message, me).await
    }

    /// Soft-deletes (author, or an owner or admin of the conversation): the seq stays, the
    /// content is gone from every response. Deleting twice is not an error.
    #[tracing::instrument(skip_all, fields(user_id = %me, conversation_id = %conversation_id))]
    pub async fn delete(
        &self,
        me: UserId,
        conversation_id: ConversationId,
        message_id: MessageId,
    ) -> Result<(), AppError> {
        let deps = &self.0;
        let (_, participant) = deps.member_of(conversation_id, me).await?;
        let message = deps.message(conversation_id, message_id).await?;
        message.check_not_system()?;
        if message.sender_id != me && !participant.role.is_admin() {
            return Err(AppError::Forbidden("not_author"));
        }
        if message.is_deleted() {
            return Ok(());
        }
        let deleted = DomainEvent::MessageDeleted {
            conversation_id,
            message_id,
            seq: message.seq,
        };
        deps.messages
            .soft_delete(message.id, deps.clock.now(), &[deleted])
            .await?;
        Ok(())
    }
}
