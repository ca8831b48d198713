//! The outbox: domain events stored in the transaction that causes them, and read back in
//! commit order by every consumer (see `docs/pipeline.md`).

mod decoded;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, FromQueryResult, Statement, Value};
use time::OffsetDateTime;
use tokio::sync::watch;

use self::decoded::DecodedEvents;
use super::db::Db;
use super::{placeholders, unexpected};
use crate::application::events::{EventLog, LoggedEvent};
use crate::domain::shared::{DomainEvent, RepoError};

/// Serialises PostgreSQL's writers of events for the last moment before their commit, so that
/// positions become visible in order and a reader never passes a position still in flight.
const OUTBOX_LOCK: i64 = 0x6f75_7462_6f78;

/// Wakes this instance's readers: after a local commit that recorded events, or when another
/// instance says it committed some.
#[derive(Clone)]
pub struct OutboxSignal(Arc<SignalState>);

struct SignalState {
    wakeups: watch::Sender<u64>,
    /// Local commits only, so that a relay passes on its own instance's news and not what it
    /// heard from others.
    commits: AtomicU64,
}

impl OutboxSignal {
    pub fn new() -> Self {
        Self(Arc::new(SignalState {
            wakeups: watch::channel(0).0,
            commits: AtomicU64::new(0),
        }))
    }

    /// A local commit recorded events.
    pub fn notify(&self) {
        self.0.commits.fetch_add(1, Ordering::Relaxed);
        self.wake();
    }

    /// Events may have been recorded elsewhere.
    pub fn wake(&self) {
        self.0.wakeups.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn commits(&self) -> u64 {
        self.0.commits.load(Ordering::Relaxed)
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.wakeups.subscribe()
    }
}

impl Default for OutboxSignal {
    fn default() -> Self {
        Self::new()
    }
}

pub(super) fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Records `events` in `txn`, in the current trace. Call it last, just before the commit: on
/// PostgreSQL it takes the outbox lock, held until the commit.
pub async fn record<C: ConnectionTrait>(txn: &C, events: &[DomainEvent]) -> Result<(), RepoError> {
    let trace = crate::telemetry::otel::traceparent();
    let traced: Vec<(&DomainEvent, Option<&str>)> =
        events.iter().map(|e| (e, trace.as_deref())).collect();
    record_traced(txn, &traced).await
}

/// Records each event with the trace of the change that caused it.
pub async fn record_traced<C: ConnectionTrait>(
    txn: &C,
    events: &[(&DomainEvent, Option<&str>)],
) -> Result<(), RepoError> {
    if events.is_empty() {
        return Ok(());
    }
    let backend = txn.get_database_backend();
    if backend == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({OUTBOX_LOCK})"))
            .await
            .map_err(unexpected)?;
    }
    let now = now_ms();
    let mut sql = String::from("INSERT INTO outbox (payload, created_at_ms, trace_parent) VALUES ");
    let mut values: Vec<Value> = Vec::with_capacity(events.len() * 3);
    for (i, (event, trace)) in events.iter().enumerate() {
        let payload = serde_json::to_string(event)
            .map_err(|error| RepoError::Unexpected(anyhow::Error::new(error)))?;
        sql.push_str(if i > 0 { ", (?, ?, ?)" } else { "(?, ?, ?)" });
        values.push(payload.into());
        values.push(now.into());
        values.push(trace.map(str::to_owned).into());
    }
    let sql = placeholders(backend, &sql);
    txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map_err(unexpected)?;
    Ok(())
}

/// Records `events` in `txn`, commits, and wakes the readers.
pub async fn commit_with(
    txn: DatabaseTransaction,
    events: &[DomainEvent],
    signal: &OutboxSignal,
) -> Result<(), RepoError> {
    record(&txn, events).await?;
    commit(txn, !events.is_empty(), signal).await
}

/// `commit_with`, each event with its own trace.
pub async fn commit_traced(
    txn: DatabaseTransaction,
    events: &[(&DomainEvent, Option<&str>)],
    signal: &OutboxSignal,
) -> Result<(), RepoError> {
    record_traced(&txn, events).await?;
    commit(txn, !events.is_empty(), signal).await
}

#[tracing::instrument(name = "db.commit", skip_all)]
async fn commit(
    txn: DatabaseTransaction,
    recorded: bool,
    signal: &OutboxSignal,
) -> Result<(), RepoError> {
    txn.commit().await.map_err(unexpected)?;
    if recorded {
        signal.notify();
    }
    Ok(())
}

#[derive(FromQueryResult)]
struct Row {
    position: i64,
    payload: String,
    created_at_ms: i64,
    trace_parent: Option<String>,
}

#[derive(FromQueryResult)]
struct Number {
    n: Option<i64>,
}

/// The outbox as the application's event log.
pub struct SeaOrmEventLog {
    db: Db,
    signal: OutboxSignal,
    decoded: DecodedEvents,
}

impl SeaOrmEventLog {
    pub fn new(db: Db, signal: OutboxSignal) -> Self {
        Self {
            db,
            signal,
            decoded: DecodedEvents::default(),
        }
    }

    fn statement(&self, sql: &str, values: Vec<Value>) -> Statement {
        super::statement(&self.db, sql, values)
    }

    async fn number(&self, sql: &str, values: Vec<Value>) -> Result<i64, RepoError> {
        let row = Number::find_by_statement(self.statement(sql, values))
            .one(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(row.and_then(|r| r.n).unwrap_or(0))
    }

    async fn execute(&self, sql: &str, values: Vec<Value>) -> Result<u64, RepoError> {
        let done = self
            .db
            .execute_raw(self.statement(sql, values))
            .await
            .map_err(unexpected)?;
        Ok(done.rows_affected())
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[async_trait]
impl EventLog for SeaOrmEventLog {
    async fn read_after(&self, position: i64, limit: u64) -> Result<Vec<LoggedEvent>, RepoError> {
        let sql = "SELECT position, payload, created_at_ms, trace_parent FROM outbox WHERE position > ? ORDER BY position LIMIT ?";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = Row::find_by_statement(self.statement(sql, vec![position.into(), limit.into()]))
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            match self.decoded.get(row.position, &row.payload) {
                Ok(event) => events.push(LoggedEvent {
                    position: row.position,
                    recorded_at_ms: row.created_at_ms,
                    trace_parent: row.trace_parent,
                    event,
                }),
                // Written by a newer version, or damaged: nothing can act on it.
                Err(error) => tracing::error!(%error, position = row.position, "unreadable event"),
            }
        }
        Ok(events)
    }

    async fn head(&self) -> Result<i64, RepoError> {
        let last = self
            .number("SELECT MAX(position) AS n FROM outbox", vec![])
            .await?;
        Ok(last.max(self.pruned_through().await?))
    }

    async fn pruned_through(&self) -> Result<i64, RepoError> {
        self.number(
            "SELECT pruned_through AS n FROM outbox_state WHERE id = 1",
            vec![],
        )
        .await
    }

    async fn claim(
        &self,
        consumer: &str,
        owner: &str,
        lease: Duration,
    ) -> Result<Option<i64>, RepoError> {
        let now = now_ms();
        self.execute(
            "INSERT INTO outbox_consumers (name, position, owner, lease_until_ms) \
             VALUES (?, 0, NULL, 0) ON CONFLICT (name) DO NOTHING",
            vec![consumer.into()],
        )
        .await?;
        let claimed = self
            .execute(
                "UPDATE outbox_consumers SET owner = ?, lease_until_ms = ? \
                 WHERE name = ? AND (owner = ? OR owner IS NULL OR lease_until_ms < ?)",
                vec![
                    owner.into(),
                    (now + millis(lease)).into(),
                    consumer.into(),
                    owner.into(),
                    now.into(),
                ],
            )
            .await?;
        if claimed == 0 {
            return Ok(None);
        }
        let position = self
            .number(
                "SELECT position AS n FROM outbox_consumers WHERE name = ?",
                vec![consumer.into()],
            )
            .await?;
        Ok(Some(position))
    }

    async fn advance(
        &self,
        consumer: &str,
        owner: &str,
        position: i64,
        lease: Duration,
    ) -> Result<bool, RepoError> {
        let moved = self
            .execute(
                "UPDATE outbox_consumers SET position = ?, lease_until_ms = ? \
                 WHERE name = ? AND owner = ?",
                vec![
                    position.into(),
                    (now_ms() + millis(lease)).into(),
                    consumer.into(),
                    owner.into(),
                ],
            )
            .await?;
        Ok(moved == 1)
    }

    async fn release(&self, consumer: &str, owner: &str, position: i64) -> Result<(), RepoError> {
        self.execute(
            "UPDATE outbox_consumers SET position = ?, owner = NULL, lease_until_ms = 0 \
             WHERE name = ? AND owner = ?",
            vec![position.into(), consumer.into(), owner.into()],
        )
        .await?;
        Ok(())
    }

    async fn prune(&self, retention: Duration) -> Result<u64, RepoError> {
        let cutoff = now_ms() - millis(retention);
        let txn = self.db.begin().await.map_err(unexpected)?;
        // Consumers whose lease lapsed longer ago than the retention are gone: they do not
        // hold the log back for ever.
        let through = Number::find_by_statement(self.statement(
            "SELECT MAX(position) AS n FROM outbox WHERE created_at_ms < ? AND position <= \
             COALESCE((SELECT MIN(position) FROM outbox_consumers WHERE lease_until_ms >= ?), \
             (SELECT MAX(position) FROM outbox))",
            vec![cutoff.into(), cutoff.into()],
        ))
        .one(&txn)
        .await
        .map_err(unexpected)?
        .and_then(|r| r.n);
        let Some(through) = through else {
            return Ok(0);
        };
        let deleted = txn
            .execute_raw(self.statement(
                "DELETE FROM outbox WHERE position <= ?",
                vec![through.into()],
            ))
            .await
            .map_err(unexpected)?
            .rows_affected();
        txn.execute_raw(self.statement(
            "UPDATE outbox_state SET pruned_through = ? WHERE id = 1 AND pruned_through < ?",
            vec![through.into(), through.into()],
        ))
        .await
        .map_err(unexpected)?;
        txn.commit().await.map_err(unexpected)?;
        Ok(deleted)
    }

    fn wakeups(&self) -> watch::Receiver<u64> {
        self.signal.subscribe()
    }
}
