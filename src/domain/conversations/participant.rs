use time::OffsetDateTime;

use crate::domain::shared::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Owner,
    Admin,
    Member,
}

impl Role {
    pub fn is_admin(self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "owner" => Some(Self::Owner),
            "admin" => Some(Self::Admin),
            "member" => Some(Self::Member),
            _ => None,
        }
    }
}

/// A user's membership of one conversation.
/// A participant's position in a conversation, moved forward only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// Everything up to the seq has been read (the delivered marker moves with it).
    Read,
    /// Everything up to the seq has reached one of the user's devices.
    Delivered,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub user_id: UserId,
    pub role: Role,
    pub joined_at: OffsetDateTime,
    pub muted: bool,
    /// Everything up to this seq has been read (0: nothing).
    pub read_seq: i64,
    pub read_at: Option<OffsetDateTime>,
    /// Everything up to this seq has reached one of the user's devices.
    pub delivered_seq: i64,
    pub delivered_at: Option<OffsetDateTime>,
}

impl Participant {
    /// Where `marker` stands.
    pub fn marker(&self, marker: Marker) -> i64 {
        match marker {
            Marker::Read => self.read_seq,
            Marker::Delivered => self.delivered_seq,
        }
    }

    pub fn new(user_id: UserId, role: Role, now: OffsetDateTime) -> Self {
        Self {
            user_id,
            role,
            joined_at: now,
            muted: false,
            read_seq: 0,
            read_at: None,
            delivered_seq: 0,
            delivered_at: None,
        }
    }
}
