use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::watch;

use super::{EventLog, Horizon, LoggedEvent};
use crate::application::error::AppError;

/// Acts on the log's events, in order. At-least-once: after a crash or a lost lease an event
/// may come again, so handlers are idempotent.
#[async_trait]
pub trait EventHandler: Send + Sync {
    /// An error is retried, with the same event, until it succeeds: nothing is skipped.
    async fn handle(&self, event: &LoggedEvent) -> Result<(), AppError>;

    /// Events after `after` up to `through` were pruned before this reader saw them (the reader
    /// has logged it): drop what they may have changed.
    async fn missed(&self, _gap: Gap) {}

    /// The reader starts after `position`: it will hand over no event at or below it.
    async fn started(&self, _position: i64) {}
}

/// Handlers that never fail (an instance's caches) fed by one reader in turn, so that each
/// does not read and decode the whole log on its own.
pub struct Each(pub Vec<Arc<dyn EventHandler>>);

#[async_trait]
impl EventHandler for Each {
    async fn handle(&self, event: &LoggedEvent) -> Result<(), AppError> {
        for handler in &self.0 {
            handler.handle(event).await?;
        }
        Ok(())
    }

    async fn missed(&self, gap: Gap) {
        for handler in &self.0 {
            handler.missed(gap).await;
        }
    }

    async fn started(&self, position: i64) {
        for handler in &self.0 {
            handler.started(position).await;
        }
    }
}

/// Positions a reader can no longer read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    pub after: i64,
    pub through: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct LogOptions {
    /// How long a reader waits for a wake-up before it looks anyway.
    pub poll: Duration,
    /// Most events read at once.
    pub batch: u64,
    /// How long a shared consumer's position stays with one instance without renewal.
    pub lease: Duration,
    /// How often, at most, a shared consumer stores its position while it works. Each store
    /// is a commit of its own; after a crash the events since the last one come again.
    pub store_every: Duration,
    /// Pause before a failed read or event is tried again.
    pub retry: Duration,
}

/// A reader's place in the log.
struct Reader {
    log: Arc<dyn EventLog>,
    handler: Arc<dyn EventHandler>,
    options: LogOptions,
    wakeups: watch::Receiver<u64>,
    position: i64,
    /// Stops a batch between two events, so that a shutdown hands over without delay.
    shutdown: Option<watch::Receiver<bool>>,
    /// Told whenever this reader has handled everything committed before a read began.
    horizon: Option<Arc<Horizon>>,
    metrics: ReaderMetrics,
}

/// A reader's series, looked up once.
struct ReaderMetrics {
    /// Age of the oldest event not handled yet.
    lag: metrics::Gauge,
    /// From an event's commit to its handling.
    delay: metrics::Histogram,
}

impl ReaderMetrics {
    fn new(name: &'static str) -> Self {
        Self {
            lag: metrics::gauge!("events_lag_seconds", "consumer" => name),
            delay: metrics::histogram!("events_delay_seconds", "consumer" => name),
        }
    }
}

impl Reader {
    /// Handles the next batch; `false` when there was nothing to read.
    async fn step(&mut self, name: &str) -> bool {
        let seen = *self.wakeups.borrow_and_update();
        let batch = match self.log.read_after(self.position, self.options.batch).await {
            Ok(batch) => batch,
            Err(error) => {
                tracing::warn!(%error, consumer = name, "event log unreadable; retrying");
                tokio::time::sleep(self.options.retry).await;
                return true;
            }
        };
        let Some(first) = batch.first() else {
            self.metrics.lag.set(0.0);
            self.reached(seen);
            return false;
        };
        self.metrics.lag.set(age_secs(first.recorded_at_ms));
        if first.position > self.position + 1 {
            self.check_gap(name).await;
        }
        for event in &batch {
            if self.shutdown.as_ref().is_some_and(|s| *s.borrow()) {
                break;
            }
            self.handle(name, event).await;
            self.position = event.position;
            self.metrics.delay.record(age_secs(event.recorded_at_ms));
        }
        // A short batch held everything committed when the read began.
        let whole = (batch.len() as u64) < self.options.batch;
        if whole
            && batch
                .last()
                .is_some_and(|last| last.position == self.position)
        {
            self.reached(seen);
        }
        true
    }

    fn reached(&self, seen: u64) {
        if let Some(horizon) = &self.horizon {
            horizon.caught_up(seen);
        }
    }

    /// Positions may skip numbers (a rolled-back writer); only pruning loses events.
    async fn check_gap(&self, name: &str) {
        match self.log.pruned_through().await {
            Ok(through) if through > self.position => {
                tracing::error!(
                    consumer = name,
                    after = self.position,
                    through,
                    "events were pruned before they were read"
                );
                self.handler
                    .missed(Gap {
                        after: self.position,
                        through,
                    })
                    .await;
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, consumer = name, "pruning unknown"),
        }
    }

    async fn handle(&self, name: &str, event: &LoggedEvent) {
        use tracing::Instrument;
        // In the trace of the change that recorded the event, whichever instance made it.
        let span = tracing::info_span!("event", consumer = name, position = event.position);
        crate::telemetry::otel::continue_trace(&span, event.trace_parent.as_deref());
        let mut attempts = 0u32;
        while let Err(error) = self.handler.handle(event).instrument(span.clone()).await {
            attempts += 1;
            tracing::warn!(%error, consumer = name, position = event.position, attempts, "event not handled; retrying");
            tokio::time::sleep(self.options.retry * attempts.min(10)).await;
        }
    }

    async fn wait(&mut self) {
        tokio::select! {
            _ = self.wakeups.changed() => {}
            () = tokio::time::sleep(self.options.poll) => {}
        }
    }
}

/// Seconds since `recorded_at_ms`, by this machine's clock (0 when the clocks disagree).
fn age_secs(recorded_at_ms: i64) -> f64 {
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    ((now_ms - i128::from(recorded_at_ms)).max(0) as f64) / 1000.0
}

/// Feeds this instance's `handler` every event recorded from now on (live delivery to local
/// connections: what came before, clients fetch by seq). The position lives in memory; the
/// `horizon`, if any, follows it.
pub async fn run_local(
    name: &'static str,
    log: Arc<dyn EventLog>,
    handler: Arc<dyn EventHandler>,
    options: LogOptions,
    horizon: Option<Arc<Horizon>>,
) {
    let position = loop {
        match log.head().await {
            Ok(head) => break head,
            Err(error) => {
                tracing::warn!(%error, consumer = name, "event log unreachable; retrying");
                tokio::time::sleep(options.retry).await;
            }
        }
    };
    handler.started(position).await;
    let mut reader = Reader {
        wakeups: log.wakeups(),
        log,
        handler,
        options,
        position,
        shutdown: None,
        horizon,
        metrics: ReaderMetrics::new(name),
    };
    loop {
        if !reader.step(name).await {
            reader.wait().await;
        }
    }
}

/// Feeds `handler` every event across all instances: one instance at a time holds the
/// consumer's lease and stores its position at most every `store_every`, so a crash or
/// restart resumes a little before where it stopped (handlers are idempotent). When
/// `shutdown` flips, it stores its position, gives the lease up and returns.
pub async fn run_shared(
    name: &'static str,
    owner: String,
    log: Arc<dyn EventLog>,
    handler: Arc<dyn EventHandler>,
    options: LogOptions,
    mut shutdown: watch::Receiver<bool>,
) {
    while !*shutdown.borrow() {
        let position = match log.claim(name, &owner, options.lease).await {
            Ok(Some(position)) => position,
            Ok(None) => {
                tokio::select! {
                    () = tokio::time::sleep(options.lease / 3) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            Err(error) => {
                tracing::warn!(%error, consumer = name, "event log unreachable; retrying");
                tokio::time::sleep(options.retry).await;
                continue;
            }
        };
        tracing::info!(consumer = name, position, "consuming the event log");
        handler.started(position).await;
        let mut reader = Reader {
            wakeups: log.wakeups(),
            log: log.clone(),
            handler: handler.clone(),
            options,
            position,
            shutdown: Some(shutdown.clone()),
            horizon: None,
            metrics: ReaderMetrics::new(name),
        };
        let mut stored = (position, Instant::now());
        let renew = options.lease / 3;
        loop {
            if *shutdown.borrow() {
                release(log.as_ref(), name, &owner, reader.position).await;
                return;
            }
            let busy = reader.step(name).await;
            let since = stored.1.elapsed();
            let moved = reader.position != stored.0;
            if since >= renew || (moved && since >= options.store_every.min(renew)) {
                match log
                    .advance(name, &owner, reader.position, options.lease)
                    .await
                {
                    Ok(true) => stored = (reader.position, Instant::now()),
                    Ok(false) => {
                        tracing::warn!(consumer = name, "lease lost to another instance");
                        break;
                    }
                    Err(error) => tracing::warn!(%error, consumer = name, "position not stored"),
                }
            }
            if !busy {
                tokio::select! {
                    () = reader.wait() => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
}

/// Deletes old events every `interval`.
pub async fn prune_every(log: Arc<dyn EventLog>, retention: Duration, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match log.prune(retention).await {
            Ok(0) => {}
            Ok(deleted) => tracing::debug!(deleted, "event log pruned"),
            Err(error) => tracing::warn!(%error, "event log not pruned"),
        }
    }
}
/// Gives the lease up at shutdown, so that the next process takes over at once. A pooled
/// connection may break as the server's workers stop: each attempt takes another.
async fn release(log: &dyn EventLog, name: &str, owner: &str, position: i64) {
    const ATTEMPTS: usize = 3;
    for attempt in 1..=ATTEMPTS {
        match log.release(name, owner, position).await {
            Ok(()) => return,
            Err(error) if attempt == ATTEMPTS => {
                tracing::warn!(%error, consumer = name, "lease not released; it will lapse");
            }
            Err(_) => {}
        }
    }
}
