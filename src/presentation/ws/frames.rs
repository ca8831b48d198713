//! What the server sends on the socket, as types: the gateway serialises them, and the AsyncAPI
//! document (`asyncapi.rs`) is generated from their schemas. Events are `RealtimeEvent`;
//! `EventFrame` is its documentation twin, held to it by the tests below.

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::protocol::{PresenceChoice, SyncResult};
use crate::application::messages::MessageView;
use crate::application::realtime::PresenceView;
use crate::presentation::http::messages::MessageResponse;
use crate::presentation::http::notifications::NotificationResponse;

/// The answer to a command: `ref` is the command's own, echoed (`null` when it had none).
#[derive(Serialize)]
pub struct AckFrame<'a, T> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(rename = "ref")]
    pub reference: &'a Value,
    pub data: T,
}

/// A refused command or frame; `ref` is the command's, or `null` when the frame was unreadable.
#[derive(Serialize, ToSchema)]
pub struct ErrorFrame<'a> {
    #[serde(rename = "type")]
    #[schema(value_type = String, pattern = "^error$")]
    pub kind: &'static str,
    #[serde(rename = "ref")]
    #[schema(value_type = Object, nullable)]
    pub reference: &'a Value,
    /// `invalid_json`, `unknown_type`, `invalid_command`, `unsupported_frame`, `rate_limited`,
    /// `sync_in_progress`, `internal_error`, or the `code` REST gives the same refusal
    /// (`validation_failed`, `conversation_not_found`, …).
    #[schema(value_type = String)]
    pub code: &'a str,
    #[schema(value_type = String)]
    pub message: &'a str,
}

/// The first frame on an authenticated connection.
#[derive(Serialize, ToSchema)]
pub struct Ready {
    pub user_id: Uuid,
    /// This connection, as the server's logs name it.
    pub connection_id: u64,
}

/// What each command's `ack` carries.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Acked {
    Auth(AuthAck),
    Pong(PongAck),
    Sent(Box<SendAck>),
    Done(EmptyAck),
    Read(ReadAck),
    Presence(PresenceSetAck),
    PresenceQuery(PresenceQueryAck),
    Sync(SyncAck),
}

/// `auth`: who the connection is signed in as.
#[derive(Serialize, ToSchema)]
pub struct AuthAck {
    pub user_id: Uuid,
}

/// `ping`.
#[derive(Serialize, ToSchema)]
pub struct PongAck {
    pub pong: bool,
}

/// `message.send`: the stored message; `created` is `false` for a retry with a known
/// `client_message_id`, which answers the first message.
#[derive(Serialize, ToSchema)]
pub struct SendAck {
    pub created: bool,
    #[schema(value_type = MessageResponse)]
    pub message: MessageView,
}

/// `typing.start` and `typing.stop`.
#[derive(Serialize, ToSchema)]
pub struct EmptyAck {}

/// `read`: the read marker now (never moves back).
#[derive(Serialize, ToSchema)]
pub struct ReadAck {
    pub read_seq: i64,
}

/// `presence.set`.
#[derive(Serialize, ToSchema)]
pub struct PresenceSetAck {
    pub status: PresenceChoice,
}

/// `presence.query`: one entry per user the caller may see.
#[derive(Serialize, ToSchema)]
pub struct PresenceQueryAck {
    #[schema(value_type = Vec<PresenceResponse>)]
    pub presence: Vec<PresenceView>,
}

/// `sync`: sent after every replayed frame.
#[derive(Serialize, ToSchema)]
pub struct SyncAck {
    pub conversations: Vec<SyncResult>,
}

/// The wire form of presence, for the document; `PresenceView` serialises it.
#[derive(ToSchema)]
pub struct PresenceResponse {
    pub user_id: Uuid,
    pub status: PresenceState,
    /// `null` when hidden by the user's settings or never seen.
    pub last_seen_at: Option<OffsetDateTime>,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum PresenceState {
    Online,
    Away,
    Offline,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum CaseStateFrame {
    Queued,
    Assigned,
    Resolved,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum AgentStatusFrame {
    Available,
    Away,
    Offline,
}

/// `RealtimeEvent` as the document describes it: one variant each, with the same names and
/// fields (the tests below hold them together).
#[derive(ToSchema)]
#[serde(tag = "type", content = "data")]
#[allow(dead_code)]
pub enum EventFrame {
    /// A new message (live, or replayed by `sync`).
    #[serde(rename = "message.created")]
    MessageCreated(MessageResponse),
    /// An edit, or a change of its reactions or reply count.
    #[serde(rename = "message.updated")]
    MessageUpdated(MessageResponse),
    #[serde(rename = "message.deleted")]
    MessageDeleted {
        conversation_id: Uuid,
        message_id: Uuid,
        seq: i64,
    },
    #[serde(rename = "reaction.added")]
    ReactionAdded {
        conversation_id: Uuid,
        message_id: Uuid,
        user_id: Uuid,
        emoji: String,
    },
    #[serde(rename = "reaction.removed")]
    ReactionRemoved {
        conversation_id: Uuid,
        message_id: Uuid,
        user_id: Uuid,
        emoji: String,
    },
    /// A member read up to `seq`.
    #[serde(rename = "read")]
    Read {
        conversation_id: Uuid,
        user_id: Uuid,
        seq: i64,
    },
    /// A member's device received up to `seq`.
    #[serde(rename = "delivered")]
    Delivered {
        conversation_id: Uuid,
        user_id: Uuid,
        seq: i64,
    },
    /// `typing` stays true for `expires_in_ms` unless renewed; 0 when the user stopped.
    #[serde(rename = "typing")]
    Typing {
        conversation_id: Uuid,
        user_id: Uuid,
        typing: bool,
        expires_in_ms: u64,
    },
    #[serde(rename = "presence")]
    Presence(PresenceResponse),
    /// Reload the conversation with `GET /conversations/{id}`.
    #[serde(rename = "conversation.created")]
    ConversationCreated { conversation_id: Uuid },
    #[serde(rename = "conversation.updated")]
    ConversationUpdated { conversation_id: Uuid },
    #[serde(rename = "conversation.deleted")]
    ConversationDeleted { conversation_id: Uuid },
    #[serde(rename = "participant.added")]
    ParticipantAdded {
        conversation_id: Uuid,
        user_id: Uuid,
        by: Uuid,
    },
    #[serde(rename = "participant.removed")]
    ParticipantRemoved {
        conversation_id: Uuid,
        user_id: Uuid,
        by: Uuid,
    },
    #[serde(rename = "notification.created")]
    NotificationCreated(NotificationResponse),
    /// A business case was opened, assigned, transferred, resolved, reopened or escalated:
    /// to its customer, its agents (new and previous) and the business's supervisors. Reload
    /// it with `GET /conversations/{conversation_id}/case`.
    #[serde(rename = "case.updated")]
    CaseUpdated {
        conversation_id: Uuid,
        business_id: Uuid,
        team_id: Uuid,
        state: CaseStateFrame,
        agent_id: Option<Uuid>,
        priority: i32,
        /// It waited past its team's first-response time (supervisors are in the audience).
        escalated: bool,
    },
    /// An agent of a business the recipient supervises changed status or capacity.
    #[serde(rename = "agent.updated")]
    AgentUpdated {
        business_id: Uuid,
        user_id: Uuid,
        status: AgentStatusFrame,
        capacity: u32,
    },
    /// Reload one conversation from `from_seq` to `to_seq` over REST (the server cannot replay
    /// them), or, with `conversation_id` `null`, every one shown (live events were lost).
    #[serde(rename = "resync_required")]
    ResyncRequired {
        conversation_id: Option<Uuid>,
        #[schema(required = false)]
        from_seq: Option<i64>,
        #[schema(required = false)]
        to_seq: Option<i64>,
        /// `events_missed` (live events lost), `unknown_seq` (`after_seq` beyond the last
        /// message) or `expired` (erased by retention).
        reason: String,
    },
}
