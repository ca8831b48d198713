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
    ParticipantAdded {
        conversation_id: ConversationId,
        user_id: UserId,
        by: UserId,
    },
    ParticipantRemoved {
        conversation_id: ConversationId,
        user_id: UserId,
        by: UserId,
    },
    /// Carries the stored message, so that subscribers need not read it back.
    MessageCreated {
        message: Arc<Message>,
    },
    MessageUpdated {
        conversation_id: ConversationId,
        message_id: MessageId,
        seq: i64,
    },
    MessageDeleted {
        conversation_id: ConversationId,
        message_id: MessageId,
        seq: i64,
    },
    ReactionAdded {
        conversation_id: ConversationId,
        message_id: MessageId,
        user_id: UserId,
        emoji: String,
    },
    ReactionRemoved {
        conversation_id: ConversationId,
        message_id: MessageId,
        user_id: UserId,
        emoji: String,
    },
    ReadMarkerMoved {
        conversation_id: ConversationId,
        user_id: UserId,
        seq: i64,
    },
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
