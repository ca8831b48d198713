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
    /// The ids of `user`'s live sessions, before a change that may end some of them; `None`
    /// when they cannot be read (then every copy goes).
    async fn held_by(&self, user: UserId) -> Option<Vec<SessionId>> {
        let sessions = self.inner.list_live(user, self.clock.now()).await.ok()?;
        Some(sessions.into_iter().map(|s| s.id).collect())
    }

    /// Drops the copies of `held` but `keep`, or every copy when `held` is unknown.
    async fn forget_held(&self, held: Option<Vec<SessionId>>, keep: Option<SessionId>) {
        match held {
            Some(mut ids) => {
                ids.retain(|id| Some(*id) != keep);
                self.forget(&ids).await;
            }
            None => self.forget_all(),
        }
    }

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
        // Opening one past the maximum ends the user's oldest; other users' copies stay.
        let held = self.held_by(session.user_id).await;
        let result = self.inner.create(session, refresh, policy).await;
        self.forget_held(held, None).await;
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
            // A rotation slides the expiry forward: the copy's older one only sends the next
            // find to the database once it passes.
            Rotation::Reused(id) => self.forget(&[*id]).await,
            Rotation::Rotated(_) | Rotation::Invalid => {}
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
        let held = self.held_by(user).await;
        let revoked = self.inner.revoke_all(user, keep, now).await;
        self.forget_held(held, keep).await;
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

    async fn missed(&self, _gap: Gap) {
        self.forget_all();
    }
}

#[cfg(test)]
mod tests;
