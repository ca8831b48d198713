use std::sync::Arc;

use super::PresenceStatus;
use crate::application::messages::MessageView;
use crate::domain::notifications::Notification;
use crate::domain::shared::{ConversationId, MessageId, UserId};

/// What clients are told, before it is put into wire format.
#[derive(Debug, Clone)]
pub enum RealtimeEvent {
    MessageCreated(MessageView),
    MessageUpdated(MessageView),
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
    Read {
        conversation_id: ConversationId,
        user_id: UserId,
        seq: i64,
    },
    Delivered {
        conversation_id: ConversationId,
        user_id: UserId,
        seq: i64,
    },
    Typing {
        conversation_id: ConversationId,
        user_id: UserId,
        typing: bool,
    },
    Presence {
        user_id: UserId,
        status: PresenceStatus,
        last_seen_at: Option<time::OffsetDateTime>,
    },
    ConversationCreated {
        conversation_id: ConversationId,
    },
    ConversationUpdated {
        conversation_id: ConversationId,
    },
    ConversationDeleted {
        conversation_id: ConversationId,
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
    NotificationCreated(Arc<Notification>),
    /// Events were lost to this instance's connections: every client must catch up by seq.
    ResyncRequired,
}

/// Puts an event into wire format; provided by the presentation layer.
pub type Encoder = Arc<dyn Fn(&RealtimeEvent) -> String + Send + Sync>;
