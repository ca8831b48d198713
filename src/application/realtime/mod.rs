//! Real-time delivery: who receives which event, presence and typing state, and the local
//! registry of live connections. Transport (WebSocket) and wire format live in presentation;
//! cross-instance fan-out and shared presence live in infrastructure.

mod admission;
mod audience;
mod dispatch;
mod event;
mod hub;
mod presence;
mod sync;
mod typing;

use async_trait::async_trait;
use bytestring::ByteString;
use time::OffsetDateTime;

pub use admission::{Admission, AdmissionLimits};
pub use dispatch::Dispatcher;
pub use event::{RealtimeEvent, frame_kind};
pub use hub::{Connection, Hub, Outbound};
pub use presence::{PresenceTracker, PresenceView};
pub use sync::{CatchUp, Closed, Replayed, SYNC_CONVERSATIONS_MAX, SyncEntry, SyncOutcome};
pub use typing::{Typing, TypingTracker};

use crate::domain::shared::{ConversationId, UserId};

/// Tells a connection which message a frame carries, so it can move the delivered marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReceipt {
    pub conversation_id: ConversationId,
    pub seq: i64,
    pub sender: UserId,
}

/// One event for many users, serialised once.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub recipients: Vec<UserId>,
    /// The frame, shared by every recipient's queue and written without a copy.
    pub payload: ByteString,
    /// Durable events (messages, markers) must reach the client or close its connection;
    /// ephemeral ones (typing, presence) may be dropped under backpressure.
    pub durable: bool,
    pub receipt: Option<DeliveryReceipt>,
    /// The event's position in the log; 0 for ephemeral events, which are not logged.
    pub position: i64,
}

/// Hands an ephemeral delivery (typing, presence) to every instance's live connections.
#[async_trait]
pub trait FanOut: Send + Sync {
    async fn publish(&self, delivery: Delivery);
}

/// Online/away/offline as clients see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PresenceStatus {
    Online,
    Away,
    Offline,
}

impl PresenceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Away => "away",
            Self::Offline => "offline",
        }
    }
}

/// Which connections are live, across instances. Connections expire unless refreshed, so an
/// instance that dies does not leave its users online for ever.
#[async_trait]
pub trait PresenceStore: Send + Sync {
    /// Records a live connection; `true` when it is the user's first.
    async fn connect(&self, user: UserId, connection: &str) -> bool;
    /// Forgets a connection; `true` when it was the user's last (they went offline).
    async fn disconnect(&self, user: UserId, connection: &str, now: OffsetDateTime) -> bool;
    async fn refresh(&self, user: UserId, connection: &str);
    async fn set_away(&self, user: UserId, away: bool);
    /// Status and last-seen time of each user.
    async fn get(&self, users: &[UserId]) -> Vec<(UserId, PresenceStatus, Option<OffsetDateTime>)>;
    /// How many live connections `user` holds.
    async fn connections(&self, user: UserId) -> usize;
    /// Marks this instance alive for `ttl`; once that lapses, other instances count its
    /// connections as gone.
    async fn heartbeat(&self, ttl: std::time::Duration);
    /// Removes the connections of instances that died without a word (their heartbeat
    /// lapsed), each dead instance swept by one instance only; returns the users who went
    /// offline with them, their last-seen time set to `now`.
    async fn sweep(&self, now: OffsetDateTime) -> Vec<UserId>;
}
