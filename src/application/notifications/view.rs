use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::domain::notifications::{Notification, NotificationKind};
use crate::domain::shared::{ConversationId, MessageId, NotificationId, UserId};

/// A notification in its wire form, the same over REST and the socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    pub id: NotificationId,
    pub kind: NotificationKind,
    pub actor_id: UserId,
    pub conversation_id: Option<ConversationId>,
    pub message_id: Option<MessageId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub read_at: Option<OffsetDateTime>,
    pub read: bool,
}

impl From<&Notification> for NotificationView {
    fn from(n: &Notification) -> Self {
        Self {
            id: n.id,
            kind: n.kind,
            actor_id: n.actor_id,
            conversation_id: n.conversation_id,
            message_id: n.message_id,
            created_at: n.created_at,
            read_at: n.read_at,
            read: n.is_read(),
        }
    }
}
