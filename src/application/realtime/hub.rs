use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use bytestring::ByteString;
use tokio::sync::{Notify, mpsc};

use super::{Delivery, DeliveryReceipt};
use crate::domain::shared::{SessionId, UserId};

/// One frame waiting for connections' writers, shared by every recipient: a queue slot is one
/// pointer, which keeps an idle connection's queue small.
pub type Outbound = Arc<Frame>;

#[derive(Debug)]
pub struct Frame {
    pub payload: ByteString,
    pub receipt: Option<DeliveryReceipt>,
}

struct Slot {
    id: u64,
    session: SessionId,
    sender: mpsc::Sender<Outbound>,
    overflow: Arc<Notify>,
    ended: Arc<Notify>,
    /// Logged events up to here were committed before the connection opened: its client
    /// fetches them by seq, so they are not sent live as well.
    from_position: i64,
}

/// This instance's live connections, by user. Delivering never waits: each connection has a
/// bounded queue, so one slow reader cannot hold up anyone else.
pub struct Hub {
    connections: RwLock<HashMap<UserId, Vec<Slot>>>,
    next_id: AtomicU64,
    queue_capacity: usize,
}

/// A registered connection's end of its queue.
pub struct Connection {
    pub id: u64,
    pub user: UserId,
    pub receiver: mpsc::Receiver<Outbound>,
    /// Notified when a durable frame could not be queued: the connection must close (4008)
    /// and the client catch up by seq.
    pub overflow: Arc<Notify>,
    /// Notified when the session the connection was opened with ends: it must close (4003).
    pub ended: Arc<Notify>,
}

impl Hub {
    pub fn new(queue_capacity: usize) -> Self {
        Self {
            connections: RwLock::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            queue_capacity,
        }
    }

    pub fn register(&self, user: UserId, session: SessionId, from_position: i64) -> Connection {
        let (sender, receiver) = mpsc::channel(self.queue_capacity);
        let overflow = Arc::new(Notify::new());
        let ended = Arc::new(Notify::new());
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = Slot {
            id,
            sender,
            session,
            overflow: overflow.clone(),
            ended: ended.clone(),
            from_position,
        };
        self.write().entry(user).or_default().push(slot);
        metrics::gauge!("ws_connections").increment(1.0);
        Connection {
            id,
            user,
            receiver,
            overflow,
            ended,
        }
    }

    /// Tells the local connections opened with any of `sessions` that their session ended.
    pub fn end_sessions(&self, user: UserId, sessions: &[SessionId]) {
        let connections = self.read();
        for slot in connections.get(&user).into_iter().flatten() {
            if sessions.contains(&slot.session) {
                slot.ended.notify_one();
            }
        }
    }

    pub fn unregister(&self, user: UserId, id: u64) {
        let mut connections = self.write();
        if let Some(slots) = connections.get_mut(&user) {
            let before = slots.len();
            slots.retain(|slot| slot.id != id);
            if slots.len() < before {
                metrics::gauge!("ws_connections").decrement(1.0);
            }
            if slots.is_empty() {
                connections.remove(&user);
            }
        }
    }

    /// Queues `delivery` on every local connection of its recipients.
    pub fn deliver(&self, delivery: &Delivery) {
        let outbound = Arc::new(Frame {
            payload: delivery.payload.clone(),
            receipt: delivery.receipt,
        });
        let (mut queued, mut shed) = (0u64, 0u64);
        let connections = self.read();
        for user in &delivery.recipients {
            for slot in connections.get(user).into_iter().flatten() {
                if delivery.position != 0 && delivery.position <= slot.from_position {
                    continue;
                }
                if slot.sender.try_send(outbound.clone()).is_ok() {
                    queued += 1;
                } else if delivery.durable {
                    slot.overflow.notify_one();
                } else {
                    shed += 1;
                }
            }
        }
        count_frames(&delivery.payload, queued, shed);
    }

    /// Queues `payload` on every local connection; one that cannot take it must close (4008).
    pub fn deliver_all(&self, payload: ByteString) {
        let outbound = Arc::new(Frame {
            payload,
            receipt: None,
        });
        for slot in self.read().values().flatten() {
            if slot.sender.try_send(outbound.clone()).is_err() {
                slot.overflow.notify_one();
            }
        }
    }

    pub fn connection_count(&self) -> usize {
        self.read().values().map(Vec::len).sum()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<UserId, Vec<Slot>>> {
        self.connections
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<UserId, Vec<Slot>>> {
        self.connections
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Frames queued for connections, and ephemeral ones dropped from full queues, by event kind.
fn count_frames(payload: &str, queued: u64, shed: u64) {
    let kind = super::event::frame_kind(payload);
    if queued > 0 {
        metrics::counter!("realtime_frames_total", "kind" => kind).increment(queued);
    }
    if shed > 0 {
        metrics::counter!("realtime_frames_shed_total", "kind" => kind).increment(shed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(to: UserId, durable: bool) -> Delivery {
        Delivery {
            recipients: vec![to],
            payload: ByteString::from_static("{}"),
            durable,
            receipt: None,
            position: 0,
        }
    }

    #[tokio::test]
    async fn delivers_to_every_connection_of_each_recipient_only() {
        let hub = Hub::new(4);
        let (alice, bob) = (UserId::new(), UserId::new());
        let mut phone = hub.register(alice, SessionId::new(), 0);
        let mut laptop = hub.register(alice, SessionId::new(), 0);
        let mut other = hub.register(bob, SessionId::new(), 0);

        hub.deliver(&delivery(alice, true));

        assert!(phone.receiver.try_recv().is_ok());
        assert!(laptop.receiver.try_recv().is_ok());
        assert!(other.receiver.try_recv().is_err());
        hub.unregister(alice, phone.id);
        assert_eq!(hub.connection_count(), 2);
    }

    #[tokio::test]
    async fn a_full_queue_drops_ephemeral_frames_and_flags_durable_ones() {
        let hub = Hub::new(1);
        let alice = UserId::new();
        let connection = hub.register(alice, SessionId::new(), 0);
        hub.deliver(&delivery(alice, true));

        let wait = std::time::Duration::from_millis(20);
        hub.deliver(&delivery(alice, false));
        let silent = tokio::time::timeout(wait, connection.overflow.notified()).await;
        assert!(silent.is_err(), "ephemeral overflow is silent");

        hub.deliver(&delivery(alice, true));
        let flagged = tokio::time::timeout(wait, connection.overflow.notified()).await;
        assert!(flagged.is_ok());
    }

    #[tokio::test]
    async fn events_committed_before_a_connection_opened_are_not_sent_live() {
        let hub = Hub::new(4);
        let alice = UserId::new();
        let mut connection = hub.register(alice, SessionId::new(), 10);
        let logged = |position| Delivery {
            position,
            ..delivery(alice, true)
        };

        hub.deliver(&logged(10));
        assert!(connection.receiver.try_recv().is_err());
        hub.deliver(&logged(11));
        hub.deliver(&delivery(alice, false));
        assert!(connection.receiver.try_recv().is_ok());
        assert!(connection.receiver.try_recv().is_ok());
    }

    #[tokio::test]
    async fn only_the_connections_of_an_ended_session_are_told() {
        let hub = Hub::new(4);
        let alice = UserId::new();
        let (phone, laptop) = (SessionId::new(), SessionId::new());
        let on_phone = hub.register(alice, phone, 0);
        let on_laptop = hub.register(alice, laptop, 0);

        hub.end_sessions(alice, &[phone]);

        let wait = std::time::Duration::from_millis(20);
        assert!(
            tokio::time::timeout(wait, on_phone.ended.notified())
                .await
                .is_ok()
        );
        assert!(
            tokio::time::timeout(wait, on_laptop.ended.notified())
                .await
                .is_err()
        );
    }
}
