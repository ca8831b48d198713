use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{ClientMessageId, MessageContent, MessageError, MessageKind};
use crate::domain::shared::{AttachmentId, ConversationId, MessageChange, MessageId, UserId};

/// A message about to be stored; the repository assigns its `seq`.
#[derive(Debug, Clone)]
pub struct MessageDraft {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub sender_id: UserId,
    pub kind: MessageKind,
    pub content: MessageContent,
    pub client_message_id: Option<ClientMessageId>,
    pub reply_to: Option<MessageId>,
    pub mentions: Vec<UserId>,
    /// The sender's unbound uploads, bound to this message when it is stored.
    pub attachment_ids: Vec<AttachmentId>,
    pub created_at: OffsetDateTime,
}

/// A stored message as storage and the wire form hold it: what [`Message::restore`] rebuilds
/// one from. Nothing else builds one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRecord {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    /// Gap-free and strictly increasing within the conversation, from 1.
    pub seq: i64,
    pub sender_id: UserId,
    pub kind: MessageKind,
    /// Empty once deleted.
    pub content: String,
    pub client_message_id: Option<String>,
    pub reply_to: Option<MessageId>,
    pub reply_count: i64,
    pub mentions: Vec<UserId>,
    pub attachment_ids: Vec<AttachmentId>,
    pub created_at: OffsetDateTime,
    pub edited_at: Option<OffsetDateTime>,
    pub deleted_at: Option<OffsetDateTime>,
}

/// A stored message. What changes it goes through its methods, which keep its rules (only
/// its author edits it, nobody changes a system message); everything else only reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Message(MessageRecord);

impl MessageDraft {
    /// The message it becomes once stored at `seq`.
    pub fn stored_at(&self, seq: i64) -> Message {
        Message(MessageRecord {
            id: self.id,
            conversation_id: self.conversation_id,
            seq,
            sender_id: self.sender_id,
            kind: self.kind,
            content: self.content.as_str().to_owned(),
            client_message_id: self
                .client_message_id
                .as_ref()
                .map(|c| c.as_str().to_owned()),
            reply_to: self.reply_to,
            reply_count: 0,
            mentions: self.mentions.clone(),
            attachment_ids: self.attachment_ids.clone(),
            created_at: self.created_at,
            edited_at: None,
            deleted_at: None,
        })
    }
}

impl Message {
    /// The message `record` holds, as storage or the wire form kept it.
    pub fn restore(record: MessageRecord) -> Self {
        Self(record)
    }

    pub fn id(&self) -> MessageId {
        self.0.id
    }

    pub fn conversation_id(&self) -> ConversationId {
        self.0.conversation_id
    }

    /// Gap-free and strictly increasing within the conversation, from 1.
    pub fn seq(&self) -> i64 {
        self.0.seq
    }

    /// Which message an edit or deletion changed, for its event.
    pub fn change(&self) -> MessageChange {
        MessageChange {
            conversation_id: self.0.conversation_id,
            message_id: self.0.id,
            seq: self.0.seq,
        }
    }

    pub fn sender_id(&self) -> UserId {
        self.0.sender_id
    }

    pub fn kind(&self) -> MessageKind {
        self.0.kind
    }

    /// Empty once deleted.
    pub fn content(&self) -> &str {
        &self.0.content
    }

    pub fn client_message_id(&self) -> Option<&str> {
        self.0.client_message_id.as_deref()
    }

    pub fn reply_to(&self) -> Option<MessageId> {
        self.0.reply_to
    }

    pub fn reply_count(&self) -> i64 {
        self.0.reply_count
    }

    pub fn mentions(&self) -> &[UserId] {
        &self.0.mentions
    }

    pub fn attachment_ids(&self) -> &[AttachmentId] {
        &self.0.attachment_ids
    }

    pub fn created_at(&self) -> OffsetDateTime {
        self.0.created_at
    }

    pub fn edited_at(&self) -> Option<OffsetDateTime> {
        self.0.edited_at
    }

    pub fn deleted_at(&self) -> Option<OffsetDateTime> {
        self.0.deleted_at
    }

    pub fn is_deleted(&self) -> bool {
        self.0.deleted_at.is_some()
    }

    pub fn check_not_system(&self) -> Result<(), MessageError> {
        match self.0.kind {
            MessageKind::System => Err(MessageError::System),
            MessageKind::Text => Ok(()),
        }
    }

    /// Replaces the text: its author's, until it is deleted.
    pub fn edit(
        &mut self,
        editor: UserId,
        content: &MessageContent,
        now: OffsetDateTime,
    ) -> Result<(), MessageError> {
        self.check_can_edit(editor)?;
        self.0.content = content.as_str().to_owned();
        self.0.edited_at = Some(now);
        Ok(())
    }

    /// Its author deletes it, or a `moderator` (an owner or admin of the conversation).
    pub fn check_can_delete(&self, actor: UserId, moderator: bool) -> Result<(), MessageError> {
        self.check_not_system()?;
        if self.0.sender_id != actor && !moderator {
            return Err(MessageError::NotAuthor);
        }
        Ok(())
    }

    fn check_can_edit(&self, user: UserId) -> Result<(), MessageError> {
        self.check_not_system()?;
        if self.0.sender_id != user {
            return Err(MessageError::NotAuthor);
        }
        if self.is_deleted() {
            return Err(MessageError::Deleted);
        }
        Ok(())
    }
}
