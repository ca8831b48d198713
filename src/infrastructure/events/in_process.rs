use tokio::sync::broadcast;

use crate::application::ports::EventPublisher;
use crate::domain::shared::DomainEvent;

/// Fans domain events out to in-process subscribers. A subscriber that falls more than
/// `capacity` events behind loses the oldest (and is told so by `broadcast`).
pub struct InProcessEventBus {
    sender: broadcast::Sender<DomainEvent>,
}

impl InProcessEventBus {
    pub fn new(capacity: usize) -> Self {
        Self {
            sender: broadcast::channel(capacity).0,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DomainEvent> {
        self.sender.subscribe()
    }
}

impl EventPublisher for InProcessEventBus {
    fn publish(&self, event: DomainEvent) {
        tracing::debug!(?event, "domain event");
        // No subscriber is not an error: nothing needed to hear it.
        let _ = self.sender.send(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::shared::UserId;

    #[tokio::test]
    async fn subscribers_receive_what_is_published_after_they_subscribe() {
        let bus = InProcessEventBus::new(8);
        bus.publish(DomainEvent::ContactRequested {
            from: UserId::new(),
            to: UserId::new(),
        });
        let mut receiver = bus.subscribe();
        let event = DomainEvent::ContactAccepted {
            by: UserId::new(),
            requester: UserId::new(),
        };

        bus.publish(event.clone());

        assert_eq!(receiver.recv().await.unwrap(), event);
        assert!(receiver.try_recv().is_err());
    }
}
