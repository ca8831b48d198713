//! A message's wire form, the same over REST and the socket, and read back by adapters that
//! relay socket frames in a shape of their own.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

use super::MessageView;
use crate::domain::messages::{Message, MessageKind, MessageRecord, Reaction};
use crate::domain::shared::{AttachmentId, ConversationId, MessageId, UserId};

#[derive(Serialize)]
struct MessageWire<'a> {
    id: MessageId,
    conversation_id: ConversationId,
    seq: i64,
    sender_id: UserId,
    kind: MessageKind,
    content: Option<&'a str>,
    client_message_id: Option<&'a str>,
    reply_to: Option<MessageId>,
    reply_count: i64,
    mentions: &'a [UserId],
    attachment_ids: &'a [AttachmentId],
    reactions: &'a [Reaction],
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    edited_at: Option<OffsetDateTime>,
    deleted: bool,
}

impl Serialize for MessageView {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let m = &self.message;
        let deleted = m.is_deleted();
        MessageWire {
            id: m.id(),
            conversation_id: m.conversation_id(),
            seq: m.seq(),
            sender_id: m.sender_id(),
            kind: m.kind(),
            // What a deleted message said, or carried, is gone.
            content: (!deleted).then_some(m.content()),
            client_message_id: m.client_message_id(),
            reply_to: m.reply_to(),
            reply_count: m.reply_count(),
            mentions: m.mentions(),
            attachment_ids: if deleted { &[] } else { m.attachment_ids() },
            reactions: &self.reactions,
            created_at: m.created_at(),
            edited_at: m.edited_at(),
            deleted,
        }
        .serialize(serializer)
    }
}

/// The wire form, owned.
#[derive(Deserialize)]
struct MessageWireOwned {
    id: MessageId,
    conversation_id: ConversationId,
    seq: i64,
    sender_id: UserId,
    #[serde(default)]
    kind: MessageKind,
    content: Option<String>,
    client_message_id: Option<String>,
    reply_to: Option<MessageId>,
    reply_count: i64,
    mentions: Vec<UserId>,
    attachment_ids: Vec<AttachmentId>,
    reactions: Vec<Reaction>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    edited_at: Option<OffsetDateTime>,
    deleted: bool,
}

impl<'de> Deserialize<'de> for MessageView {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let w = MessageWireOwned::deserialize(deserializer)?;
        // The wire says whether, not when, it was deleted: its last change stands for when.
        let deleted_at = w.deleted.then_some(w.edited_at.unwrap_or(w.created_at));
        Ok(MessageView {
            message: Message::restore(MessageRecord {
                id: w.id,
                conversation_id: w.conversation_id,
                seq: w.seq,
                sender_id: w.sender_id,
                kind: w.kind,
                content: w.content.unwrap_or_default(),
                client_message_id: w.client_message_id,
                reply_to: w.reply_to,
                reply_count: w.reply_count,
                mentions: w.mentions,
                attachment_ids: w.attachment_ids,
                created_at: w.created_at,
                edited_at: w.edited_at,
                deleted_at,
            }),
            reactions: w.reactions,
        })
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn the_wire_form_reads_back_as_it_was_written() {
        let record = MessageRecord {
            id: MessageId::new(),
            conversation_id: ConversationId::new(),
            seq: 7,
            sender_id: UserId::new(),
            kind: MessageKind::System,
            content: "hello".into(),
            client_message_id: Some("c-1".into()),
            reply_to: Some(MessageId::new()),
            reply_count: 2,
            mentions: vec![UserId::new()],
            attachment_ids: vec![AttachmentId::new()],
            created_at: datetime!(2026-12-01 10:00:00 UTC),
            edited_at: Some(datetime!(2026-12-01 10:05:00 UTC)),
            deleted_at: None,
        };
        let message = Message::restore(record.clone());
        let reactions = vec![Reaction {
            emoji: "👍".into(),
            count: 2,
            me: true,
        }];
        let view = MessageView { message, reactions };
        let wire = serde_json::to_string(&view).unwrap();
        let back: MessageView = serde_json::from_str(&wire).unwrap();
        assert_eq!(back.message, view.message);
        assert_eq!(back.reactions, view.reactions);

        let deleted = MessageView {
            message: Message::restore(MessageRecord {
                deleted_at: record.edited_at,
                ..record
            }),
            reactions: Vec::new(),
        };
        let back: MessageView =
            serde_json::from_str(&serde_json::to_string(&deleted).unwrap()).unwrap();
        assert!(back.message.is_deleted());
        assert_eq!(
            serde_json::to_string(&back).unwrap(),
            serde_json::to_string(&deleted).unwrap()
        );
    }
}
