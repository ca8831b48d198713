use std::borrow::Cow;

use bytestring::ByteString;
use serde::{Deserialize, Serialize};

use super::PresenceView;
use crate::application::messages::MessageView;
use crate::application::notifications::NotificationView;
use crate::domain::business::{AgentStatus, BusinessId, CaseSummary};
use crate::domain::shared::{
    ConversationId, MarkerChange, MemberChange, MessageChange, ReactionChange, UserId,
};

/// What clients are told. Its serde form is the frame on the wire, `{"type": …, "data": …}`:
/// one type for the event and its wire format, serialised once per delivery, and read back by
/// adapters that relay frames in a shape of their own (GraphQL subscriptions).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum RealtimeEvent {
    #[serde(rename = "message.created")]
    MessageCreated(MessageView),
    #[serde(rename = "message.updated")]
    MessageUpdated(MessageView),
    #[serde(rename = "message.deleted")]
    MessageDeleted(MessageChange),
    #[serde(rename = "reaction.added")]
    ReactionAdded(ReactionChange),
    #[serde(rename = "reaction.removed")]
    ReactionRemoved(ReactionChange),
    #[serde(rename = "read")]
    Read(MarkerChange),
    #[serde(rename = "delivered")]
    Delivered(MarkerChange),
    /// `expires_in_ms` is 0 when the user stopped.
    #[serde(rename = "typing")]
    Typing {
        conversation_id: ConversationId,
        user_id: UserId,
        typing: bool,
        expires_in_ms: u64,
    },
    #[serde(rename = "presence")]
    Presence(PresenceView),
    #[serde(rename = "conversation.created")]
    ConversationCreated { conversation_id: ConversationId },
    #[serde(rename = "conversation.updated")]
    ConversationUpdated { conversation_id: ConversationId },
    #[serde(rename = "conversation.deleted")]
    ConversationDeleted { conversation_id: ConversationId },
    #[serde(rename = "participant.added")]
    ParticipantAdded(MemberChange),
    #[serde(rename = "participant.removed")]
    ParticipantRemoved(MemberChange),
    #[serde(rename = "notification.created")]
    NotificationCreated(NotificationView),
    /// A business case was opened, assigned, transferred, resolved or reopened.
    #[serde(rename = "case.updated")]
    CaseUpdated(CaseSummary),
    /// An agent of a business the recipient supervises changed status or capacity.
    #[serde(rename = "agent.updated")]
    AgentUpdated {
        business_id: BusinessId,
        user_id: UserId,
        status: AgentStatus,
        capacity: u32,
    },
    /// The client must reload: one conversation from `from_seq` (the server cannot continue
    /// from there), or, with no conversation, every one it shows (live events were lost).
    #[serde(rename = "resync_required")]
    ResyncRequired {
        conversation_id: Option<ConversationId>,
        #[serde(skip_serializing_if = "Option::is_none")]
        from_seq: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        to_seq: Option<i64>,
        reason: Cow<'static, str>,
    },
}

/// Every event's `type`, for metric labels.
pub const EVENT_KINDS: [&str; 18] = [
    "message.created",
    "message.updated",
    "message.deleted",
    "reaction.added",
    "reaction.removed",
    "read",
    "delivered",
    "typing",
    "presence",
    "conversation.created",
    "conversation.updated",
    "conversation.deleted",
    "participant.added",
    "participant.removed",
    "notification.created",
    "case.updated",
    "agent.updated",
    "resync_required",
];

/// A frame's `type` (frames begin `{"type":"<kind>"`), or `other`.
pub fn frame_kind(frame: &str) -> &'static str {
    let rest = frame.strip_prefix(r#"{"type":""#).unwrap_or_default();
    let kind = rest.split('"').next().unwrap_or_default();
    EVENT_KINDS
        .iter()
        .find(|k| **k == kind)
        .copied()
        .unwrap_or("other")
}

impl RealtimeEvent {
    /// Live events were lost to this instance's connections.
    pub const EVENTS_MISSED: Self = Self::ResyncRequired {
        conversation_id: None,
        from_seq: None,
        to_seq: None,
        reason: Cow::Borrowed("events_missed"),
    };

    /// The frame that carries it.
    pub fn frame(&self) -> ByteString {
        // Ids, numbers, strings and timestamps only: serialising cannot fail.
        ByteString::from(serde_json::to_string(self).expect("an event serialises"))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use time::macros::datetime;

    use super::*;
    use crate::application::realtime::PresenceStatus;

    fn wire(event: &RealtimeEvent) -> Value {
        serde_json::from_str(&event.frame()).unwrap()
    }

    #[test]
    fn the_serde_form_is_the_frame() {
        let user = UserId::from_uuid(uuid::Uuid::nil());
        let presence = RealtimeEvent::Presence(PresenceView {
            user_id: user,
            status: PresenceStatus::Offline,
            last_seen_at: Some(datetime!(2026-11-22 01:02:03 UTC)),
        });
        assert_eq!(
            wire(&presence),
            json!({"type": "presence", "data": {"user_id": user, "status": "offline", "last_seen_at": "2026-11-22T01:02:03Z"}})
        );
        assert_eq!(
            wire(&RealtimeEvent::EVENTS_MISSED),
            json!({"type": "resync_required", "data": {"conversation_id": null, "reason": "events_missed"}})
        );
        let conversation = ConversationId::from_uuid(uuid::Uuid::nil());
        let deleted = RealtimeEvent::ConversationDeleted {
            conversation_id: conversation,
        };
        assert_eq!(
            wire(&deleted),
            json!({"type": "conversation.deleted", "data": {"conversation_id": conversation}})
        );
        assert_eq!(frame_kind(&deleted.frame()), "conversation.deleted");
        assert_eq!(frame_kind(r#"{"type":"nonsense"}"#), "other");
    }
}
