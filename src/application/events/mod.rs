//! The event log and its consumers. Every durable domain event is recorded in the log (the
//! outbox) in the transaction of the change that causes it; consumers read the log in order
//! and keep their own position, so a crash, a restart, lag or a Redis outage delays events but
//! never loses one. `docs/pipeline.md` tells the whole story.

mod consumer;
mod horizon;
#[cfg(test)]
mod tests;

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;

pub use consumer::{Each, EventHandler, Gap, LogOptions, prune_every, run_local, run_shared};
pub use horizon::Horizon;

use crate::domain::shared::{DomainEvent, RepoError};

/// An event and its place in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    pub position: i64,
    /// When it was committed, in Unix milliseconds (the recording instance's clock).
    pub recorded_at_ms: i64,
    /// The W3C `traceparent` of the change that recorded it, when that was traced.
    pub trace_parent: Option<String>,
    pub event: DomainEvent,
}

/// The ordered log of committed domain events.
#[async_trait]
pub trait EventLog: Send + Sync {
    /// Events after `position`, oldest first, at most `limit`. Positions increase in commit
    /// order but may skip numbers.
    async fn read_after(&self, position: i64, limit: u64) -> Result<Vec<LoggedEvent>, RepoError>;

    /// The newest position (or the highest pruned, when the log is empty).
    async fn head(&self) -> Result<i64, RepoError>;

    /// Every event at or below this position is gone.
    async fn pruned_through(&self) -> Result<i64, RepoError>;

    /// Takes (or renews) the lease on a shared consumer's position: `Some(position)` while
    /// `owner` holds it, `None` while another instance does.
    async fn claim(
        &self,
        consumer: &str,
        owner: &str,
        lease: Duration,
    ) -> Result<Option<i64>, RepoError>;

    /// Stores a shared consumer's position and renews the lease; `false` when the lease was
    /// lost to another instance.
    async fn advance(
        &self,
        consumer: &str,
        owner: &str,
        position: i64,
        lease: Duration,
    ) -> Result<bool, RepoError>;

    /// Stores a shared consumer's position and gives up its lease, so that another instance
    /// (or this one, restarted) takes over at once.
    async fn release(&self, consumer: &str, owner: &str, position: i64) -> Result<(), RepoError>;

    /// Deletes events older than `retention` that every live shared consumer has passed.
    async fn prune(&self, retention: Duration) -> Result<u64, RepoError>;

    /// Changes whenever events may have been recorded, here or (through the wake-up link) on
    /// another instance. Readers also poll, so a lost wake-up only delays.
    fn wakeups(&self) -> watch::Receiver<u64>;
}
