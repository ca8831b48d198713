use time::{Duration, OffsetDateTime};

use crate::domain::shared::{SessionId, UserId};

/// Where a session was opened from, as shown in the session list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Device {
    pub name: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// How long sessions live and how many a user may hold.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// A session unused for this long expires (sliding expiry).
    pub idle_timeout: Duration,
    /// No session outlives this, however active.
    pub max_lifetime: Duration,
    /// Opening one more revokes the oldest.
    pub max_live_sessions: usize,
}

/// One signed-in device. Its refresh tokens form one family: reuse of a rotated token
/// revokes the whole session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub device: Device,
    pub created_at: OffsetDateTime,
    pub last_active_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

impl Session {
    pub fn start(
        user_id: UserId,
        device: Device,
        now: OffsetDateTime,
        policy: &SessionPolicy,
    ) -> Self {
        Self {
            id: SessionId::new(),
            user_id,
            device,
            created_at: now,
            last_active_at: now,
            expires_at: policy.expiry(now, now),
            revoked_at: None,
        }
    }

    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }

    /// Records activity (a refresh), sliding the expiry forward up to the hard limit.
    pub fn touch(&mut self, now: OffsetDateTime, policy: &SessionPolicy) {
        self.last_active_at = now;
        self.expires_at = policy.expiry(self.created_at, now);
    }
}

impl SessionPolicy {
    fn expiry(&self, created_at: OffsetDateTime, now: OffsetDateTime) -> OffsetDateTime {
        (now + self.idle_timeout).min(created_at + self.max_lifetime)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn policy() -> SessionPolicy {
        SessionPolicy {
            idle_timeout: Duration::days(30),
            max_lifetime: Duration::days(60),
            max_live_sessions: 10,
        }
    }

    #[test]
    fn expiry_slides_with_activity_up_to_the_hard_limit() {
        let start = datetime!(2026-01-01 0:00 UTC);
        let mut session = Session::start(UserId::new(), Device::default(), start, &policy());
        assert_eq!(session.expires_at, start + Duration::days(30));

        session.touch(start + Duration::days(20), &policy());
        assert_eq!(session.expires_at, start + Duration::days(50));

        session.touch(start + Duration::days(45), &policy());
        assert_eq!(session.expires_at, start + Duration::days(60));
        assert!(session.is_live(start + Duration::days(59)));
        assert!(!session.is_live(start + Duration::days(60)));
    }

    #[test]
    fn an_idle_or_revoked_session_is_not_live() {
        let start = datetime!(2026-01-01 0:00 UTC);
        let mut session = Session::start(UserId::new(), Device::default(), start, &policy());
        assert!(!session.is_live(start + Duration::days(31)));
        session.revoked_at = Some(start);
        assert!(!session.is_live(start));
    }
}
