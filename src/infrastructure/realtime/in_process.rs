use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::application::realtime::{Delivery, FanOut, Hub, PresenceStatus, PresenceStore};
use crate::domain::shared::UserId;

/// Delivers straight to this instance's connections.
pub struct InProcessFanOut {
    hub: Arc<Hub>,
}

impl InProcessFanOut {
    pub fn new(hub: Arc<Hub>) -> Self {
        Self { hub }
    }
}

#[async_trait]
impl FanOut for InProcessFanOut {
    async fn publish(&self, delivery: Delivery) {
        self.hub.deliver(&delivery);
    }
}

#[derive(Default)]
struct Entry {
    connections: HashSet<String>,
    away: bool,
    last_seen: Option<OffsetDateTime>,
}

/// Presence for a single instance: its own connections are all there is.
#[derive(Default)]
pub struct InProcessPresenceStore {
    entries: Mutex<HashMap<UserId, Entry>>,
}

impl InProcessPresenceStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl PresenceStore for InProcessPresenceStore {
    async fn connect(&self, user: UserId, connection: &str) -> bool {
        let mut entries = self.lock();
        let entry = entries.entry(user).or_default();
        entry.connections.insert(connection.to_owned());
        entry.connections.len() == 1
    }

    async fn disconnect(&self, user: UserId, connection: &str, now: OffsetDateTime) -> bool {
        let mut entries = self.lock();
        let entry = entries.entry(user).or_default();
        let was_there = entry.connections.remove(connection);
        let last = was_there && entry.connections.is_empty();
        if last {
            entry.last_seen = Some(now);
            entry.away = false;
        }
        last
    }

    async fn refresh(&self, _user: UserId, _connection: &str) {}

    async fn set_away(&self, user: UserId, away: bool) {
        self.lock().entry(user).or_default().away = away;
    }

    async fn connections(&self, user: UserId) -> usize {
        self.lock().get(&user).map_or(0, |e| e.connections.len())
    }

    // One process: if it dies, its presence dies with it.
    async fn heartbeat(&self, _ttl: std::time::Duration) {}

    async fn sweep(&self, _now: OffsetDateTime) -> Vec<UserId> {
        Vec::new()
    }

    async fn get(&self, users: &[UserId]) -> Vec<(UserId, PresenceStatus, Option<OffsetDateTime>)> {
        let entries = self.lock();
        users
            .iter()
            .map(|user| match entries.get(user) {
                Some(e) if !e.connections.is_empty() => (
                    *user,
                    if e.away {
                        PresenceStatus::Away
                    } else {
                        PresenceStatus::Online
                    },
                    e.last_seen,
                ),
                Some(e) => (*user, PresenceStatus::Offline, e.last_seen),
                None => (*user, PresenceStatus::Offline, None),
            })
            .collect()
    }
}
