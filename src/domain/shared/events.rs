use crate::domain::shared::UserId;

/// Something that happened, for other contexts (notifications, realtime) to react to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainEvent {
    ContactRequested { from: UserId, to: UserId },
    ContactAccepted { by: UserId, requester: UserId },
}
