use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::domain::shared::{ConversationId, MessageId, NotificationId, UserId};

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Someone mentioned the user in a message.
    Mention,
    /// A message arrived while the user had no live connection.
    Message,
    ContactRequest,
    ContactAccepted,
    /// Someone added the user to a group or channel.
    AddedToConversation,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mention => "mention",
            Self::Message => "message",
            Self::ContactRequest => "contact_request",
            Self::ContactAccepted => "contact_accepted",
            Self::AddedToConversation => "added_to_conversation",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "mention" => Some(Self::Mention),
            "message" => Some(Self::Message),
            "contact_request" => Some(Self::ContactRequest),
            "contact_accepted" => Some(Self::ContactAccepted),
            "added_to_conversation" => Some(Self::AddedToConversation),
            _ => None,
        }
    }
}

/// One thing a user is told about. A message gives a recipient at most one notification (a
/// mention wins over a plain message), which `dedupe_key` enforces in storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: NotificationId,
    pub user_id: UserId,
    pub kind: NotificationKind,
    /// Who caused it.
    pub actor_id: UserId,
    pub conversation_id: Option<ConversationId>,
    pub message_id: Option<MessageId>,
    pub created_at: OffsetDateTime,
    pub read_at: Option<OffsetDateTime>,
    /// The position of the event that caused it, when it came from the event log: replaying
    /// that event must not notify twice.
    #[serde(default)]
    pub cause: Option<i64>,
}

impl Notification {
    pub fn new(
        user_id: UserId,
        kind: NotificationKind,
        actor_id: UserId,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: NotificationId::new(),
            user_id,
            kind,
            actor_id,
            conversation_id: None,
            message_id: None,
            created_at: now,
            read_at: None,
            cause: None,
        }
    }

    pub fn caused_by(mut self, position: i64) -> Self {
        self.cause = Some(position);
        self
    }

    pub fn about_message(mut self, conversation: ConversationId, message: MessageId) -> Self {
        self.conversation_id = Some(conversation);
        self.message_id = Some(message);
        self
    }

    pub fn about_conversation(mut self, conversation: ConversationId) -> Self {
        self.conversation_id = Some(conversation);
        self
    }

    /// Two notifications with the same key for one user are the same notification.
    pub fn dedupe_key(&self) -> Option<String> {
        match (self.message_id, self.cause) {
            (Some(id), _) => Some(format!("message:{id}")),
            (None, Some(position)) => Some(format!("event:{position}")),
            (None, None) => None,
        }
    }

    pub fn is_read(&self) -> bool {
        self.read_at.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in [
            NotificationKind::Mention,
            NotificationKind::Message,
            NotificationKind::ContactRequest,
            NotificationKind::ContactAccepted,
            NotificationKind::AddedToConversation,
        ] {
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(NotificationKind::parse("other"), None);
    }

    #[test]
    fn a_message_keys_its_notifications_whatever_their_kind() {
        let now = OffsetDateTime::now_utc();
        let (user, actor) = (UserId::new(), UserId::new());
        let (conversation, message) = (ConversationId::new(), MessageId::new());
        let mention = Notification::new(user, NotificationKind::Mention, actor, now)
            .about_message(conversation, message);
        let plain = Notification::new(user, NotificationKind::Message, actor, now)
            .about_message(conversation, message);
        assert_eq!(mention.dedupe_key(), plain.dedupe_key());
        assert!(mention.dedupe_key().is_some());
        let added = Notification::new(user, NotificationKind::AddedToConversation, actor, now)
            .about_conversation(conversation);
        assert_eq!(added.dedupe_key(), None);
        let replayed = added.clone().caused_by(42);
        assert_eq!(replayed.dedupe_key(), added.caused_by(42).dedupe_key());
        assert_eq!(replayed.dedupe_key().as_deref(), Some("event:42"));
        assert_eq!(mention.caused_by(7).dedupe_key(), plain.dedupe_key());
    }
}
