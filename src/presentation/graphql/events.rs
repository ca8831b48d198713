//! The events of the socket as GraphQL types: one union member per `RealtimeEvent`.

use async_graphql::{Enum, SimpleObject, Union};
use time::OffsetDateTime;
use uuid::Uuid;

use super::business::{AgentUpdated, CaseUpdated};
use super::messages::Message;
use super::notifications::Notification;
use crate::application::realtime::{PresenceView, RealtimeEvent};
use crate::domain::shared::{MarkerChange, MemberChange, MessageChange, ReactionChange};

#[derive(Union)]
pub enum Event {
    MessageCreated(MessageCreated),
    MessageUpdated(MessageUpdated),
    MessageDeleted(MessageDeleted),
    ReactionAdded(ReactionAdded),
    ReactionRemoved(ReactionRemoved),
    ReadMarkerMoved(ReadMarkerMoved),
    DeliveredMarkerMoved(DeliveredMarkerMoved),
    Typing(Typing),
    Presence(Presence),
    ConversationCreated(ConversationCreated),
    ConversationUpdated(ConversationUpdated),
    ConversationDeleted(ConversationDeleted),
    ParticipantAdded(ParticipantAdded),
    ParticipantRemoved(ParticipantRemoved),
    NotificationCreated(NotificationCreated),
    CaseUpdated(CaseUpdated),
    AgentUpdated(AgentUpdated),
    ResyncRequired(ResyncRequired),
}

/// A new message, live or replayed by a catch-up.
#[derive(SimpleObject)]
pub struct MessageCreated {
    pub message: Message,
}

/// A message was edited, or its reactions changed.
#[derive(SimpleObject)]
pub struct MessageUpdated {
    pub message: Message,
}

#[derive(SimpleObject)]
pub struct MessageDeleted {
    conversation_id: Uuid,
    message_id: Uuid,
    seq: i64,
}

#[derive(SimpleObject)]
pub struct ReactionAdded {
    conversation_id: Uuid,
    message_id: Uuid,
    user_id: Uuid,
    emoji: String,
}

#[derive(SimpleObject)]
pub struct ReactionRemoved {
    conversation_id: Uuid,
    message_id: Uuid,
    user_id: Uuid,
    emoji: String,
}

/// `userId` has read everything up to `seq`.
#[derive(SimpleObject)]
pub struct ReadMarkerMoved {
    conversation_id: Uuid,
    user_id: Uuid,
    seq: i64,
}

/// Everything up to `seq` reached one of `userId`'s devices.
#[derive(SimpleObject)]
pub struct DeliveredMarkerMoved {
    conversation_id: Uuid,
    user_id: Uuid,
    seq: i64,
}

/// `expiresInMs` is 0 when the user stopped typing.
#[derive(SimpleObject)]
pub struct Typing {
    conversation_id: Uuid,
    user_id: Uuid,
    typing: bool,
    expires_in_ms: u64,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::application::realtime::PresenceStatus")]
pub enum Status {
    Online,
    Away,
    Offline,
}

#[derive(SimpleObject)]
pub struct Presence {
    user_id: Uuid,
    status: Status,
    /// `null` when hidden by the user's settings or never seen.
    last_seen_at: Option<OffsetDateTime>,
}

impl From<PresenceView> for Presence {
    fn from(view: PresenceView) -> Self {
        Self {
            user_id: view.user_id.as_uuid(),
            status: view.status.into(),
            last_seen_at: view.last_seen_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct ConversationCreated {
    conversation_id: Uuid,
}

#[derive(SimpleObject)]
pub struct ConversationUpdated {
    conversation_id: Uuid,
}

#[derive(SimpleObject)]
pub struct ConversationDeleted {
    conversation_id: Uuid,
}

#[derive(SimpleObject)]
pub struct ParticipantAdded {
    conversation_id: Uuid,
    user_id: Uuid,
    by: Uuid,
}

#[derive(SimpleObject)]
pub struct ParticipantRemoved {
    conversation_id: Uuid,
    user_id: Uuid,
    by: Uuid,
}

#[derive(SimpleObject)]
pub struct NotificationCreated {
    notification: Notification,
}

/// Reload one conversation from `fromSeq` to `toSeq` (the server cannot replay them), or, with
/// `conversationId` null, every one shown (live events were lost).
#[derive(SimpleObject)]
pub struct ResyncRequired {
    pub conversation_id: Option<Uuid>,
    pub from_seq: Option<i64>,
    pub to_seq: Option<i64>,
    /// `events_missed` (live events lost), `too_slow` (the subscription ends), `unknown_seq`,
    /// `expired` (erased by retention), `too_far_behind` (more than one catch-up's worth), or
    /// the code of a refusal such as `conversation_not_found`.
    pub reason: String,
}

impl From<RealtimeEvent> for Event {
    fn from(event: RealtimeEvent) -> Self {
        use RealtimeEvent as E;
        match event {
            E::MessageCreated(view) => Self::MessageCreated(MessageCreated {
                message: Message(view),
            }),
            E::MessageUpdated(view) => Self::MessageUpdated(MessageUpdated {
                message: Message(view),
            }),
            E::MessageDeleted(MessageChange {
                conversation_id,
                message_id,
                seq,
            }) => Self::MessageDeleted(MessageDeleted {
                conversation_id: conversation_id.as_uuid(),
                message_id: message_id.as_uuid(),
                seq,
            }),
            E::ReactionAdded(ReactionChange {
                conversation_id,
                message_id,
                user_id,
                emoji,
            }) => Self::ReactionAdded(ReactionAdded {
                conversation_id: conversation_id.as_uuid(),
                message_id: message_id.as_uuid(),
                user_id: user_id.as_uuid(),
                emoji,
            }),
            E::ReactionRemoved(ReactionChange {
                conversation_id,
                message_id,
                user_id,
                emoji,
            }) => Self::ReactionRemoved(ReactionRemoved {
                conversation_id: conversation_id.as_uuid(),
                message_id: message_id.as_uuid(),
                user_id: user_id.as_uuid(),
                emoji,
            }),
            E::Read(MarkerChange {
                conversation_id,
                user_id,
                seq,
            }) => Self::ReadMarkerMoved(ReadMarkerMoved {
                conversation_id: conversation_id.as_uuid(),
                user_id: user_id.as_uuid(),
                seq,
            }),
            E::Delivered(MarkerChange {
                conversation_id,
                user_id,
                seq,
            }) => Self::DeliveredMarkerMoved(DeliveredMarkerMoved {
                conversation_id: conversation_id.as_uuid(),
                user_id: user_id.as_uuid(),
                seq,
            }),
            E::Typing {
                conversation_id,
                user_id,
                typing,
                expires_in_ms,
            } => Self::Typing(Typing {
                conversation_id: conversation_id.as_uuid(),
                user_id: user_id.as_uuid(),
                typing,
                expires_in_ms,
            }),
            E::Presence(view) => Self::Presence(view.into()),
            E::ConversationCreated { conversation_id } => {
                Self::ConversationCreated(ConversationCreated {
                    conversation_id: conversation_id.as_uuid(),
                })
            }
            E::ConversationUpdated { conversation_id } => {
                Self::ConversationUpdated(ConversationUpdated {
                    conversation_id: conversation_id.as_uuid(),
                })
            }
            E::ConversationDeleted { conversation_id } => {
                Self::ConversationDeleted(ConversationDeleted {
                    conversation_id: conversation_id.as_uuid(),
                })
            }
            E::ParticipantAdded(MemberChange {
                conversation_id,
                user_id,
                by,
            }) => Self::ParticipantAdded(ParticipantAdded {
                conversation_id: conversation_id.as_uuid(),
                user_id: user_id.as_uuid(),
                by: by.as_uuid(),
            }),
            E::ParticipantRemoved(MemberChange {
                conversation_id,
                user_id,
                by,
            }) => Self::ParticipantRemoved(ParticipantRemoved {
                conversation_id: conversation_id.as_uuid(),
                user_id: user_id.as_uuid(),
                by: by.as_uuid(),
            }),
            E::NotificationCreated(view) => Self::NotificationCreated(NotificationCreated {
                notification: Notification(view),
            }),
            E::CaseUpdated(frame) => Self::CaseUpdated(frame.into()),
            E::AgentUpdated {
                business_id,
                user_id,
                status,
                capacity,
            } => Self::AgentUpdated(AgentUpdated {
                business_id: business_id.as_uuid(),
                user_id: user_id.as_uuid(),
                status: status.into(),
                capacity,
            }),
            E::ResyncRequired {
                conversation_id,
                from_seq,
                to_seq,
                reason,
            } => Self::ResyncRequired(ResyncRequired {
                conversation_id: conversation_id.map(|id| id.as_uuid()),
                from_seq,
                to_seq,
                reason: reason.into_owned(),
            }),
        }
    }
}
