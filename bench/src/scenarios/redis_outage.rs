//! The `faults` step for PostgreSQL + Redis with two instances: Redis is killed in the middle
//! of a burst of sends to both instances and started again a few seconds later. A member
//! connected to each instance must end with every stored message exactly once: live, or, after
//! a `resync_required` the server sent, read back over REST as a client would.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::api::{Api, User, Ws};
use crate::server::Target;

/// How long Redis stays down.
const OUTAGE: Duration = Duration::from_secs(4);
const CATCH_UP: Duration = Duration::from_secs(60);

pub struct Outcome {
    pub note: String,
    pub acked: u64,
    /// Acknowledged messages some member never got, plus messages a member got twice live.
    pub lost: u64,
}

pub async fn run(target: &mut Target, senders: usize, per_phase: u64) -> anyhow::Result<Outcome> {
    let api = Api::new(&target.urls[0]);
    let users = api.register_many(3).await?;
    let (alice, members) = (&users[0], [&users[1], &users[2]]);
    let group = api.create_group(alice, "faults redis", &members).await?;
    let (expect, expected) = watch::channel(None);
    let mut readers = Vec::new();
    for (index, member) in members.iter().enumerate() {
        let at = api.at(&target.urls[index % target.urls.len()]);
        let ws = at.connect_ws(&member.token, None).await?;
        readers.push(tokio::spawn(read(ws, group.clone(), expected.clone())));
    }

    let acked = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..senders)
        .map(|sender| {
            let api = api.at(&target.urls[sender % target.urls.len()]);
            let (alice, group) = (alice.clone(), group.clone());
            let (acked, done) = (acked.clone(), done.clone());
            tokio::spawn(async move { send(&api, &alice, &group, sender, &acked, &done).await })
        })
        .collect();
    wait_for(&acked, per_phase).await;
    let redis = target
        .redis()
        .ok_or_else(|| anyhow::anyhow!("the run has no Redis of its own"))?;
    redis.stop();
    let during = acked.load(Ordering::Relaxed);
    tokio::time::sleep(OUTAGE).await;
    let during = acked.load(Ordering::Relaxed) - during;
    redis.resume()?;
    wait_for(&acked, 2 * per_phase + during).await;
    done.store(true, Ordering::Relaxed);
    let mut errors = 0;
    for task in tasks {
        errors += task.await?;
    }

    let stored = stored_seqs(&api, alice, &group).await?;
    let deadline = tokio::time::Instant::now() + CATCH_UP;
    let _ = expect.send(Some((Arc::new(stored.clone()), deadline)));
    let (mut missing, mut duplicates, mut resyncs) = (0, 0, 0);
    for (reader, member) in readers.into_iter().zip(members) {
        let mut got = reader.await?;
        if got.resync {
            resyncs += 1;
            got.live.extend(stored_seqs(&api, member, &group).await?);
        }
        missing += stored.difference(&got.live).count() as u64;
        duplicates += got.duplicates;
    }
    let acked = acked.load(Ordering::Relaxed);
    Ok(Outcome {
        note: format!(
            "Redis down {:.0} s under 2 instances: {acked} acknowledged ({during} while it was down, {errors} refused), {} stored; {missing} missing and {duplicates} duplicate deliveries over 2 members, {resyncs} told to resync",
            OUTAGE.as_secs_f64(),
            stored.len()
        ),
        acked,
        lost: missing + duplicates,
    })
}

async fn wait_for(acked: &AtomicU64, at_least: u64) {
    while acked.load(Ordering::Relaxed) < at_least {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Sends until told to stop; a refused send is counted and retried later, not fatal.
async fn send(
    api: &Api,
    alice: &User,
    group: &str,
    sender: usize,
    acked: &AtomicU64,
    done: &AtomicBool,
) -> u64 {
    let path = format!("/api/v1/conversations/{group}/messages");
    let mut errors = 0;
    let mut n = 0;
    while !done.load(Ordering::Relaxed) {
        let body = json!({"content": format!("outage {sender}/{n}"), "client_message_id": format!("r{sender}-{n}")});
        if api.post(&path, &alice.token, &body).await.is_ok() {
            acked.fetch_add(1, Ordering::Relaxed);
            n += 1;
        } else {
            errors += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    errors
}

struct Received {
    live: BTreeSet<i64>,
    duplicates: u64,
    resync: bool,
}

/// What every member must end with, once the senders stopped, and until when to wait for it.
type Expected = Option<(Arc<BTreeSet<i64>>, tokio::time::Instant)>;

/// Collects the group's `message.created` seqs until it holds every expected one, is told to
/// resync, or the deadline passes.
async fn read(mut ws: Ws, group: String, mut expected: watch::Receiver<Expected>) -> Received {
    let mut received = Received {
        live: BTreeSet::new(),
        duplicates: 0,
        resync: false,
    };
    loop {
        let known = expected.borrow().clone();
        if let Some((seqs, _)) = &known
            && (received.resync || seqs.is_subset(&received.live))
        {
            break;
        }
        let deadline = known.map(|(_, deadline)| deadline);
        let frame = tokio::select! {
            frame = ws.next() => frame,
            _ = expected.changed(), if deadline.is_none() => continue,
            () = until(deadline) => break,
        };
        let Some(Ok(Message::Text(text))) = frame else {
            if matches!(frame, Some(Ok(_))) {
                continue;
            }
            // Closed: the client would reconnect and resync.
            received.resync = true;
            break;
        };
        let Ok(value) = serde_json::from_str::<Value>(text.as_str()) else {
            continue;
        };
        match value["type"].as_str() {
            Some("message.created") if value["data"]["conversation_id"] == group.as_str() => {
                if let Some(seq) = value["data"]["seq"].as_i64()
                    && !received.live.insert(seq)
                {
                    received.duplicates += 1;
                }
            }
            Some("resync_required") => received.resync = true,
            _ => {}
        }
    }
    received
}

/// The seqs of every message stored in the conversation.
async fn stored_seqs(api: &Api, user: &User, group: &str) -> anyhow::Result<BTreeSet<i64>> {
    let messages = api.all_messages(&user.token, group).await?;
    Ok(messages.iter().filter_map(|m| m["seq"].as_i64()).collect())
}

async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
