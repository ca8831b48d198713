use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use super::{Dispatcher, PresenceStatus, PresenceStore, RealtimeEvent};
use crate::application::error::AppError;
use crate::application::ports::Clock;
use crate::application::users::Relationships;
use crate::domain::conversations::ParticipantRepository;
use crate::domain::shared::UserId;

/// A user's presence as one viewer may see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PresenceView {
    pub user_id: UserId,
    pub status: PresenceStatus,
    /// `None` when hidden by the owner's settings or never seen.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen_at: Option<OffsetDateTime>,
}

/// Who may see a change of `owner`'s presence: users who share a conversation with them or are
/// their contacts, as far as the owner's privacy settings and blocks allow.
#[derive(Debug, Default)]
pub struct PresenceAudience {
    /// May see the status and the last-seen time.
    pub with_last_seen: Vec<UserId>,
    /// May see the status only.
    pub status_only: Vec<UserId>,
}

#[derive(Clone)]
pub struct PresenceTracker {
    store: Arc<dyn PresenceStore>,
    participants: Arc<dyn ParticipantRepository>,
    relationships: Relationships,
}

impl PresenceTracker {
    pub fn new(
        store: Arc<dyn PresenceStore>,
        participants: Arc<dyn ParticipantRepository>,
        relationships: Relationships,
    ) -> Self {
        Self {
            store,
            participants,
            relationships,
        }
    }

    pub fn store(&self) -> &Arc<dyn PresenceStore> {
        &self.store
    }

    /// The audience of `owner`'s presence changes, in a handful of queries however many
    /// conversations they are in; who may see what is the users context's rule.
    pub async fn audience(&self, owner: UserId) -> Result<PresenceAudience, AppError> {
        let relations = self.relationships.towards(owner).await?;
        let mut candidates: HashSet<UserId> = self
            .participants
            .co_participants(owner)
            .await?
            .into_iter()
            .collect();
        candidates.extend(relations.contacts());
        candidates.remove(&owner);
        let mut audience = PresenceAudience::default();
        for viewer in candidates {
            if !relations.may_see_presence(viewer) {
                continue;
            }
            if relations.may_see_last_seen(viewer) {
                audience.with_last_seen.push(viewer);
            } else {
                audience.status_only.push(viewer);
            }
        }
        Ok(audience)
    }

    /// Tells everyone allowed to see it that `owner` is now `status`.
    pub async fn announce(
        &self,
        dispatcher: &Dispatcher,
        owner: UserId,
        status: PresenceStatus,
        now: OffsetDateTime,
    ) {
        let audience = match self.audience(owner).await {
            Ok(audience) => audience,
            Err(error) => return tracing::warn!(%error, "presence audience unavailable"),
        };
        let last_seen = (status == PresenceStatus::Offline).then_some(now);
        let full = RealtimeEvent::Presence(PresenceView {
            user_id: owner,
            status,
            last_seen_at: last_seen,
        });
        dispatcher.send(audience.with_last_seen, &full).await;
        let status_only = RealtimeEvent::Presence(PresenceView {
            user_id: owner,
            status,
            last_seen_at: None,
        });
        dispatcher.send(audience.status_only, &status_only).await;
    }

    /// Keeps this instance's heartbeat, and announces the users of instances that died
    /// without a word as offline (their sockets are gone with them). Runs until `shutdown`.
    pub async fn watch_instances(
        self,
        dispatcher: Dispatcher,
        clock: Arc<dyn Clock>,
        every: Duration,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut ticker = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = shutdown.changed() => return,
            }
            // Three beats may be missed before the others give this instance up.
            self.store.heartbeat(every * 3).await;
            let now = clock.now();
            for user in self.store.sweep(now).await {
                self.announce(&dispatcher, user, PresenceStatus::Offline, now)
                    .await;
            }
        }
    }

    /// What `viewer` may see of each of `users`; hidden users read as offline with no time.
    pub async fn query(
        &self,
        viewer: UserId,
        users: &[UserId],
    ) -> Result<Vec<PresenceView>, AppError> {
        let states = self.store.get(users).await;
        let others: Vec<UserId> = users.iter().copied().filter(|u| *u != viewer).collect();
        let seen = self.relationships.sees(viewer, &others).await?;
        let views = states
            .into_iter()
            .map(|(user_id, status, last_seen)| {
                let (presence, last_seen_shown) = match user_id == viewer {
                    true => (true, true),
                    false => seen.get(&user_id).copied().unwrap_or((false, false)),
                };
                PresenceView {
                    user_id,
                    status: if presence {
                        status
                    } else {
                        PresenceStatus::Offline
                    },
                    last_seen_at: last_seen.filter(|_| last_seen_shown),
                }
            })
            .collect();
        Ok(views)
    }
}
