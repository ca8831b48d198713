use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::domain::business::{CaseChange, StaffChange};
use crate::domain::messages::Message;
use crate::domain::notifications::Notification;
use crate::domain::shared::{ConversationId, MessageId, SessionId, UserId};

/// Something that happened, for other contexts (notifications, realtime) to react to.
/// Recorded in the event log (the outbox) in the same transaction as the change that causes
/// it, so a committed change always has its event, and consumers read them in commit order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DomainEvent {
    ContactRequested {
        from: UserId,
        to: UserId,
    },
    ContactAccepted {
        by: UserId,
        requester: UserId,
    },
    ConversationCreated {
        conversation_id: ConversationId,
        /// Who is in it once created (empty in events logged before it was carried).
        #[serde(default)]
        members: Vec<UserId>,
    },
    ConversationUpdated {
        conversation_id: ConversationId,
    },
    /// Carries who was in it: after deletion nobody is.
    ConversationDeleted {
        conversation_id: ConversationId,
        participants: Vec<UserId>,
    },
    ParticipantAdded(MemberChange),
    ParticipantRemoved(MemberChange),
    /// Carries the stored message, so that subscribers need not read it back.
    MessageCreated {
        message: Arc<Message>,
    },
    MessageUpdated(MessageChange),
    MessageDeleted(MessageChange),
    ReactionAdded(ReactionChange),
    ReactionRemoved(ReactionChange),
    ReadMarkerMoved(MarkerChange),
    /// `users` have received `conversation_id` up to `seq`: one event for many members, so
    /// that a large group's markers do not flood the bus.
    DeliveredMarkersMoved {
        conversation_id: ConversationId,
        users: Vec<UserId>,
        seq: i64,
    },
    /// Carries the stored notification, for its recipient's live connections.
    NotificationCreated {
        notification: Arc<Notification>,
    },
    /// These sessions of `user_id` ended (logout, revocation, password change or reset, a
    /// reused refresh token, the session limit): their sockets close on every instance.
    SessionsEnded {
        user_id: UserId,
        sessions: Vec<SessionId>,
    },
    /// A business case was opened, assigned, transferred, resolved or reopened.
    CaseChanged(CaseChange),
    /// A business's agent changed status or capacity.
    StaffChanged(StaffChange),
}

// The payloads that realtime frames carry as they are: one type each, so the event a client
// hears is the logged event's own fields (their JSON form is the same in both).

/// `user_id` joined or left `conversation_id`, through `by`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberChange {
    pub conversation_id: ConversationId,
    pub user_id: UserId,
    pub by: UserId,
}

/// A message changed (edited, deleted); `seq` is its place in the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageChange {
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub seq: i64,
}

/// `user_id` added or removed `emoji` on a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionChange {
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub user_id: UserId,
    pub emoji: String,
}

/// `user_id`'s marker in `conversation_id` moved to `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkerChange {
    pub conversation_id: ConversationId,
    pub user_id: UserId,
    pub seq: i64,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Events already in the log were written with their fields at the top level: the payload
    /// types must keep reading and writing that form.
    #[test]
    fn payload_variants_keep_the_logged_form() {
        let (conversation_id, message_id, user_id) =
            (ConversationId::new(), MessageId::new(), UserId::new());
        let logged = json!({
            "type": "reaction_added",
            "conversation_id": conversation_id,
            "message_id": message_id,
            "user_id": user_id,
            "emoji": "👍",
        });
        let event = DomainEvent::ReactionAdded(ReactionChange {
            conversation_id,
            message_id,
            user_id,
            emoji: "👍".into(),
        });
        assert_eq!(serde_json::to_value(&event).unwrap(), logged);
        assert_eq!(
            serde_json::from_value::<DomainEvent>(logged).unwrap(),
            event
        );

        let logged = json!({
            "type": "participant_removed",
            "conversation_id": conversation_id,
            "user_id": user_id,
            "by": user_id,
        });
        let event = DomainEvent::ParticipantRemoved(MemberChange {
            conversation_id,
            user_id,
            by: user_id,
        });
        assert_eq!(serde_json::to_value(&event).unwrap(), logged);
        assert_eq!(
            serde_json::from_value::<DomainEvent>(logged).unwrap(),
            event
        );
    }
}
