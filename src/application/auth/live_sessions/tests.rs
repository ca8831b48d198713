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
        policy: &SessionPolicy,
    ) -> Result<(), RepoError> {
        let mut sessions = self.sessions.lock().unwrap();
        sessions.insert(s.id, s.clone());
        let mut live: Vec<&mut Session> = (sessions.values_mut())
            .filter(|other| other.user_id == s.user_id && other.revoked_at.is_none())
            .collect();
        live.sort_by_key(|other| (other.created_at, other.id));
        let over = live.len().saturating_sub(policy.max_live_sessions);
        for oldest in live.into_iter().take(over) {
            oldest.revoked_at = Some(s.created_at);
        }
        Ok(())
    }
    async fn find(&self, id: SessionId) -> Result<Option<Session>, RepoError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(self.sessions.lock().unwrap().get(&id).cloned())
    }
    async fn list_live(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<Vec<Session>, RepoError> {
        let sessions = self.sessions.lock().unwrap();
        let live = sessions
            .values()
            .filter(|s| s.user_id == user && s.is_live(now));
        Ok(live.cloned().collect())
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
async fn a_sign_in_past_the_maximum_ends_the_oldest_at_once_and_keeps_others_held() {
    let (stored, clock, live) = setup();
    let (user, other) = (UserId::new(), UserId::new());
    let someone_else = open(&live, &clock, other).await;
    let mut sessions = Vec::new();
    for _ in 0..POLICY.max_live_sessions {
        let session = open(&live, &clock, user).await;
        assert!(is_live(&live, &clock, session.id).await);
        sessions.push(session);
        *clock.0.lock().unwrap() += time::Duration::seconds(1);
    }
    assert!(is_live(&live, &clock, someone_else.id).await);
    let reads = stored.reads.load(Ordering::SeqCst);

    open(&live, &clock, user).await;
    live.revoke_all(other, Some(someone_else.id), clock.now())
        .await
        .unwrap();

    assert!(is_live(&live, &clock, someone_else.id).await);
    assert_eq!(stored.reads.load(Ordering::SeqCst), reads, "still held");
    assert!(!is_live(&live, &clock, sessions[0].id).await, "the oldest");
    assert!(is_live(&live, &clock, sessions[1].id).await);
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
