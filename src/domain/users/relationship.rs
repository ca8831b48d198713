use time::OffsetDateTime;

use crate::domain::shared::UserId;

/// How one user stands to another, as far as privacy rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Relationship {
    /// Accepted contacts.
    pub contacts: bool,
    /// Either one blocked the other.
    pub blocked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactStatus {
    /// Both agreed.
    Accepted,
    /// The other user asked me.
    Incoming,
    /// I asked the other user.
    Outgoing,
}

/// A contact relation seen from one side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub user_id: UserId,
    pub status: ContactStatus,
    pub since: OffsetDateTime,
}
