use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Device;
use crate::domain::shared::{RepoError, SessionId, UserId};

/// Something that happened to an account, for its owner to review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    Login,
    LoginFailed,
    Logout,
    PasswordChanged,
    PasswordReset,
    SessionRevoked,
    OtherSessionsRevoked,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 7] = [
        Self::Login,
        Self::LoginFailed,
        Self::Logout,
        Self::PasswordChanged,
        Self::PasswordReset,
        Self::SessionRevoked,
        Self::OtherSessionsRevoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::LoginFailed => "login_failed",
            Self::Logout => "logout",
            Self::PasswordChanged => "password_changed",
            Self::PasswordReset => "password_reset",
            Self::SessionRevoked => "session_revoked",
            Self::OtherSessionsRevoked => "other_sessions_revoked",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// Time-ordered: newer activity has a greater id.
    pub id: Uuid,
    pub user_id: UserId,
    pub kind: ActivityKind,
    /// Where it came from.
    pub device: Device,
    /// The session it concerns (opened, used, or ended), if one.
    pub session_id: Option<SessionId>,
    pub at: OffsetDateTime,
}

impl Activity {
    pub fn new(
        user_id: UserId,
        kind: ActivityKind,
        device: Device,
        session_id: Option<SessionId>,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            user_id,
            kind,
            device,
            session_id,
            at,
        }
    }
}

#[async_trait]
pub trait ActivityRepository: Send + Sync {
    async fn record(&self, activity: &Activity) -> Result<(), RepoError>;

    /// `user`'s activity, newest first, older than `before` when given.
    async fn list(
        &self,
        user: UserId,
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Activity>, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_by_name() {
        for kind in ActivityKind::ALL {
            assert_eq!(ActivityKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ActivityKind::parse("other"), None);
    }
}
