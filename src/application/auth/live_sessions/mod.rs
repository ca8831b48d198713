//! Live sessions held on each instance, so that an authenticated request reads no session row.
//!
//! A cached session is served only while it is live by its own expiry; anything else reads
//! the database. An end of a session leaves the cache at once on the instance that ends it
//! (every revoking call goes through here) and, on the others, when they read its
//! `SessionsEnded` from the event log, the same event that closes the session's sockets.
//! A read that raced with an end is not cached (the epoch check), and events an instance never
//! read empty the cache.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use moka::future::Cache;
use time::OffsetDateTime;

use crate::application::error::AppError;
use crate::application::events::{EventHandler, Gap, LoggedEvent};
use crate::application::ports::Clock;
use crate::domain::auth::{Rotation, Session, SessionPolicy, SessionRepository, TokenHash};
use crate::domain::shared::{DomainEvent, RepoError, SessionId, UserId};

/// Most sessions one instance keeps; the least recently used go first.
const CAPACITY: u64 = 100_000;
/// How long a copy is kept at most, should an end ever fail to reach this instance.
const KEPT_FOR: Duration = Duration::from_secs(300);

/// A `SessionRepository` that answers `find` from memory when it can.
pub struct LiveSessions {
    inner: Arc<dyn SessionRepository>,
    clock: Arc<dyn Clock>,
    live: Cache<SessionId, Session>,
    /// Moves on every end of a session, so that a read begun before it is not cached after.
    epoch: AtomicU64,
}

impl LiveSessions {
    pub fn new(inner: Arc<dyn SessionRepository>, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner,
            clock,
            live: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(KEPT_FOR)
                .build(),
            epoch: AtomicU64::new(0),
        }
    }

    async fn forget(&self, ids: &[SessionId]) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        for id in ids {
            self.live.invalidate(id).await;
        }
    }

    /// Ends of sessions whose ids this instance does not know: every copy goes.
    fn forget_all(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.live.invalidate_all();
    }
}

#[async_trait]
impl SessionRepository for LiveSessions {
    async fn create(
        &self,
        session: &Session,
        refresh: &TokenHash,
        policy: &SessionPolicy,
    ) -> Result<(), RepoError> {
        let result = self.inner.create(session, refresh, policy).await;
        // Opening one past the maximum ends the user's oldest.
        self.forget_all();
        result
    }

    async fn find(&self, id: SessionId) -> Result<Option<Session>, RepoError> {
        if let Some(session) = self.live.get(&id).await
            && session.is_live(self.clock.now())
        {
            return Ok(Some(session));
        }
        let epoch = self.epoch.load(Ordering::SeqCst);
        let found = self.inner.find(id).await?;
        if let Some(session) = &found
            && session.is_live(self.clock.now())
        {
            self.live.insert(id, session.clone()).await;
            if self.epoch.load(Ordering::SeqCst) != epoch {
                self.live.invalidate(&id).await;
            }
        }
        Ok(found)
    }

    async fn list_live(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<Vec<Session>, RepoError> {
        self.inner.list_live(user, now).await
    }

    async fn rotate(
        &self,
        presented: &TokenHash,
        next: &TokenHash,
        now: OffsetDateTime,
        policy: &SessionPolicy,
    ) -> Result<Rotation, RepoError> {
        let rotation = self.inner.rotate(presented, next, now, policy).await?;
        match &rotation {
            // The expiry slid forward: the next find reads it.
            Rotation::Rotated(session) => self.live.invalidate(&session.id).await,
            Rotation::Reused(id) => self.forget(&[*id]).await,
            Rotation::Invalid => {}
        }
        Ok(rotation)
    }

    async fn revoke(
        &self,
        user: UserId,
        id: SessionId,
        now: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        let revoked = self.inner.revoke(user, id, now).await;
        self.forget(&[id]).await;
        revoked
    }

    async fn revoke_all(
        &self,
        user: UserId,
        keep: Option<SessionId>,
        now: OffsetDateTime,
    ) -> Result<u64, RepoError> {
        let revoked = self.inner.revoke_all(user, keep, now).await;
        self.forget_all();
        revoked
    }
}

#[async_trait]
impl EventHandler for LiveSessions {
    async fn handle(&self, event: &LoggedEvent) -> Result<(), AppError> {
        if let DomainEvent::SessionsEnded { sessions, .. } = &event.event {
            self.forget(sessions).await;
        }
        Ok(())
    }

    async fn missed(&self, gap: Gap) {
        tracing::warn!(
            after = gap.after,
            through = gap.through,
            "cached sessions dropped"
        );
        self.forget_all();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::domain::auth::Device;

    /// Sessions in a map, counting the reads that reach it.
    #[derive(Default)]
    struct Stored {
        sessions: Mutex<HashMap<SessionId, Session>>,
        reads: AtomicUsize,
    }

    impl Stored {
        fn end(&self, id: SessionId, now: OffsetDateTime) -> bool {
            let mut sessions = self.sessions.lock().unwrap();
            sessions
                .get_mut(&id)
                .filter(|s| s.revoked_at.is_none())
                .map(|s| s.revoked_at = Some(now))
                .is_some()
        }
    }

    #[async_trait]
    impl SessionRepository for Stored {
        async fn create(
            &self,
            s: &Session,
            _: &TokenHash,
            _: &SessionPolicy,
        ) -> Result<(), RepoError> {
            self.sessions.lock().unwrap().insert(s.id, s.clone());
            Ok(())
        }
        async fn find(&self, id: SessionId) -> Result<Option<Session>, RepoError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            Ok(self.sessions.lock().unwrap().get(&id).cloned())
        }
        async fn list_live(&self, _: UserId, _: OffsetDateTime) -> Result<Vec<Session>, RepoError> {
            Ok(Vec::new())
        }
        async fn rotate(
            &self,
            _: &TokenHash,
            _: &TokenHash,
            _: OffsetDateTime,
            _: &SessionPolicy,
        ) -> Result<Rotation, RepoError> {
            Ok(Rotation::Invalid)
        }
        async fn revoke(
            &self,
            _: UserId,
            id: SessionId,
            now: OffsetDateTime,
        ) -> Result<bool, RepoError> {
            Ok(self.end(id, now))
        }
        async fn revoke_all(
            &self,
            user: UserId,
            keep: Option<SessionId>,
            now: OffsetDateTime,
        ) -> Result<u64, RepoError> {
            let ids: Vec<SessionId> = (self.sessions.lock().unwrap().values())
                .filter(|s| s.user_id == user && Some(s.id) != keep)
                .map(|s| s.id)
                .collect();
            Ok(ids.into_iter().filter(|id| self.end(*id, now)).count() as u64)
        }
    }

    struct Now(Mutex<OffsetDateTime>);

    impl Clock for Now {
        fn now(&self) -> OffsetDateTime {
            *self.0.lock().unwrap()
        }
    }

    const POLICY: SessionPolicy = SessionPolicy {
        idle_timeout: time::Duration::hours(1),
        max_lifetime: time::Duration::days(30),
        max_live_sessions: 10,
    };

    fn setup() -> (Arc<Stored>, Arc<Now>, LiveSessions) {
        let stored = Arc::new(Stored::default());
        let clock = Arc::new(Now(Mutex::new(OffsetDateTime::now_utc())));
        let live = LiveSessions::new(stored.clone(), clock.clone());
        (stored, clock, live)
    }

    async fn open(live: &LiveSessions, clock: &Now, user: UserId) -> Session {
        let session = Session::start(user, Device::default(), clock.now(), &POLICY);
        let token = TokenHash::from_stored("00".into());
        live.create(&session, &token, &POLICY).await.unwrap();
        session
    }

    async fn is_live(live: &LiveSessions, clock: &Now, id: SessionId) -> bool {
        let found = live.find(id).await.unwrap();
        found.is_some_and(|s| s.is_live(clock.now()))
    }

    #[tokio::test]
    async fn a_live_session_is_read_once() {
        let (stored, clock, live) = setup();
        let session = open(&live, &clock, UserId::new()).await;

        for _ in 0..3 {
            assert!(is_live(&live, &clock, session.id).await);
        }

        assert_eq!(stored.reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_end_through_this_instance_takes_effect_at_once() {
        let (_, clock, live) = setup();
        let user = UserId::new();
        let (one, two, three) = (
            open(&live, &clock, user).await,
            open(&live, &clock, user).await,
            open(&live, &clock, user).await,
        );
        for s in [&one, &two, &three] {
            assert!(is_live(&live, &clock, s.id).await);
        }

        live.revoke(user, one.id, clock.now()).await.unwrap();
        assert!(!is_live(&live, &clock, one.id).await);
        assert!(is_live(&live, &clock, two.id).await);

        live.revoke_all(user, Some(three.id), clock.now())
            .await
            .unwrap();
        assert!(!is_live(&live, &clock, two.id).await);
        assert!(is_live(&live, &clock, three.id).await);
    }

    #[tokio::test]
    async fn an_end_elsewhere_takes_effect_with_its_event() {
        let (stored, clock, live) = setup();
        let user = UserId::new();
        let session = open(&live, &clock, user).await;
        assert!(is_live(&live, &clock, session.id).await);
        stored.end(session.id, clock.now());
        assert!(is_live(&live, &clock, session.id).await, "not heard yet");

        let ended = LoggedEvent {
            position: 1,
            recorded_at_ms: 0,
            trace_parent: None,
            event: DomainEvent::SessionsEnded {
                user_id: user,
                sessions: vec![session.id],
            },
        };
        live.handle(&ended).await.unwrap();

        assert!(!is_live(&live, &clock, session.id).await);
    }

    #[tokio::test]
    async fn missed_events_empty_the_cache() {
        let (stored, clock, live) = setup();
        let session = open(&live, &clock, UserId::new()).await;
        assert!(is_live(&live, &clock, session.id).await);
        stored.end(session.id, clock.now());

        live.missed(Gap {
            after: 1,
            through: 9,
        })
        .await;

        assert!(!is_live(&live, &clock, session.id).await);
    }

    #[tokio::test]
    async fn a_copy_past_its_expiry_is_read_again() {
        let (stored, clock, live) = setup();
        let session = open(&live, &clock, UserId::new()).await;
        assert!(is_live(&live, &clock, session.id).await);
        // Another instance slid the expiry forward; this one's copy has the old one.
        let slid = session.expires_at + time::Duration::hours(1);
        stored
            .sessions
            .lock()
            .unwrap()
            .get_mut(&session.id)
            .unwrap()
            .expires_at = slid;
        *clock.0.lock().unwrap() = session.expires_at + time::Duration::minutes(1);

        assert!(is_live(&live, &clock, session.id).await);
        assert_eq!(stored.reads.load(Ordering::SeqCst), 2);
    }
}
