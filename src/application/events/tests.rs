//! A shared consumer over an in-memory log: how often it stores its position.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;

use super::{EventHandler, EventLog, LogOptions, LoggedEvent, run_shared};
use crate::application::error::AppError;
use crate::domain::shared::{ConversationId, DomainEvent, RepoError};

/// `events` positions, every store the consumer made, and its release.
struct MemoryLog {
    events: Vec<LoggedEvent>,
    stores: Mutex<Vec<i64>>,
    released: Mutex<Option<i64>>,
    wakeups: watch::Sender<u64>,
}

impl MemoryLog {
    fn with(count: i64) -> Arc<Self> {
        let events = (1..=count)
            .map(|position| LoggedEvent {
                position,
                recorded_at_ms: 0,
                trace_parent: None,
                event: DomainEvent::ConversationUpdated {
                    conversation_id: ConversationId::new(),
                },
            })
            .collect();
        Arc::new(Self {
            events,
            stores: Mutex::default(),
            released: Mutex::default(),
            wakeups: watch::channel(0).0,
        })
    }
}

#[async_trait]
impl EventLog for MemoryLog {
    async fn read_after(&self, position: i64, limit: u64) -> Result<Vec<LoggedEvent>, RepoError> {
        let after = self.events.iter().filter(|e| e.position > position);
        Ok(after.take(limit as usize).cloned().collect())
    }

    async fn head(&self) -> Result<i64, RepoError> {
        Ok(self.events.len() as i64)
    }

    async fn pruned_through(&self) -> Result<i64, RepoError> {
        Ok(0)
    }

    async fn claim(&self, _: &str, _: &str, _: Duration) -> Result<Option<i64>, RepoError> {
        Ok(Some(0))
    }

    async fn advance(
        &self,
        _: &str,
        _: &str,
        position: i64,
        _: Duration,
    ) -> Result<bool, RepoError> {
        self.stores.lock().unwrap().push(position);
        Ok(true)
    }

    async fn release(&self, _: &str, _: &str, position: i64) -> Result<(), RepoError> {
        *self.released.lock().unwrap() = Some(position);
        Ok(())
    }

    async fn prune(&self, _: Duration) -> Result<u64, RepoError> {
        Ok(0)
    }

    fn wakeups(&self) -> watch::Receiver<u64> {
        self.wakeups.subscribe()
    }
}

/// Counts what it was handed.
#[derive(Default)]
struct Counter(Mutex<i64>);

#[async_trait]
impl EventHandler for Counter {
    async fn handle(&self, _: &LoggedEvent) -> Result<(), AppError> {
        *self.0.lock().unwrap() += 1;
        Ok(())
    }
}

/// Runs a consumer over 1,000 events in batches of 10 and stops it once all are handled:
/// the positions it stored while working, and the one it released with.
async fn consume(store_every: Duration) -> (Vec<i64>, Option<i64>) {
    let log = MemoryLog::with(1000);
    let handler = Arc::new(Counter::default());
    let options = LogOptions {
        poll: Duration::from_secs(3600),
        batch: 10,
        lease: Duration::from_secs(3 * 3600),
        store_every,
        retry: Duration::from_millis(10),
    };
    let (stop, shutdown) = watch::channel(false);
    let consumer = tokio::spawn(run_shared(
        "test",
        "owner".into(),
        log.clone(),
        handler.clone(),
        options,
        shutdown,
    ));
    for _ in 0..10_000 {
        if *handler.0.lock().unwrap() == 1000 {
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(*handler.0.lock().unwrap(), 1000, "every event handled");
    stop.send(true).unwrap();
    consumer.await.unwrap();
    let stores = log.stores.lock().unwrap().clone();
    let released = *log.released.lock().unwrap();
    (stores, released)
}

#[tokio::test]
async fn a_busy_consumer_stores_its_position_at_most_every_interval() {
    let (stores, released) = consume(Duration::from_secs(3600)).await;
    assert!(stores.is_empty(), "stored while working: {stores:?}");
    assert_eq!(
        released,
        Some(1000),
        "the whole log is handed over on shutdown"
    );
}

#[tokio::test]
async fn with_no_interval_every_batch_is_stored() {
    let (stores, released) = consume(Duration::ZERO).await;
    assert!(stores.len() >= 100, "one store per batch: {stores:?}");
    assert!(stores.windows(2).all(|w| w[0] <= w[1]), "in order");
    assert_eq!(stores.last(), Some(&1000));
    assert_eq!(released, Some(1000));
}
