//! The documented fast seeding path: a million messages through the public API would take longer
//! than the measurement itself, so `history` writes them into the server's database in set-based
//! batches, exactly as the server would have stored them (seq 1..n, gap-free).

use std::time::Instant;

use anyhow::Context;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, TransactionTrait};
use time::OffsetDateTime;
use uuid::Uuid;

const BATCH: u64 = 50_000;

/// Appends `count` messages from `sender` to a conversation that has none yet; returns seconds.
pub async fn messages(
    database_url: &str,
    conversation: &str,
    sender: &str,
    count: u64,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let db = Database::connect(database_url)
        .await
        .context("connecting to the server's database")?;
    let backend = db.get_database_backend();
    let conversation = Uuid::parse_str(conversation)?;
    let sender = Uuid::parse_str(sender)?;
    let now = OffsetDateTime::now_utc();
    let insert = match backend {
        DbBackend::Postgres => {
            "INSERT INTO messages (id, conversation_id, seq, sender_id, content, created_at) \
             SELECT gen_random_uuid(), $3, g, $4, 'seeded message ' || g, $5 \
             FROM generate_series($1::bigint, $2::bigint) AS g"
        }
        _ => {
            "WITH RECURSIVE g(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM g WHERE n < ?) \
             INSERT INTO messages (id, conversation_id, seq, sender_id, content, created_at) \
             SELECT randomblob(16), ?, n, ?, 'seeded message ' || n, ? FROM g"
        }
    };
    let mut from = 1;
    while from <= count {
        let to = (from + BATCH - 1).min(count);
        // The server writes too (e.g. notifications of the seeded group): on SQLite a batch
        // can meet its lock, so a refused batch (rolled back whole) is tried again.
        let mut attempt = 0;
        loop {
            let txn = db.begin().await?;
            let inserted = txn
                .execute_raw(Statement::from_sql_and_values(
                    backend,
                    insert,
                    [
                        i64::try_from(from)?.into(),
                        i64::try_from(to)?.into(),
                        conversation.into(),
                        sender.into(),
                        now.into(),
                    ],
                ))
                .await;
            let outcome = match inserted {
                Ok(_) => txn.commit().await,
                Err(error) => Err(error),
            };
            match outcome {
                Ok(()) => break,
                Err(error) if attempt < 50 && error.to_string().contains("locked") => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(error) => return Err(error).context("inserting seed messages"),
            }
        }
        from = to + 1;
    }
    let update = match backend {
        DbBackend::Postgres => {
            "UPDATE conversations SET last_seq = $1, last_activity_at = $2 WHERE id = $3"
        }
        _ => "UPDATE conversations SET last_seq = ?, last_activity_at = ? WHERE id = ?",
    };
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        update,
        [
            i64::try_from(count)?.into(),
            now.into(),
            conversation.into(),
        ],
    ))
    .await?;
    if backend == DbBackend::Postgres {
        db.execute_unprepared("ANALYZE messages").await?;
    }
    db.close().await?;
    Ok(started.elapsed().as_secs_f64())
}
