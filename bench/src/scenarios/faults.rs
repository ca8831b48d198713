//! `faults`: a burst of sends is cut by `kill -9`, then by SIGTERM; the server is started again on
//! the same data. Nothing acknowledged may be lost, and the member who was offline throughout
//! must end with exactly one notification per stored message.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};

use crate::Options;
use crate::api::{Api, User};
use crate::report::Report;
use crate::server::Target;

const TARGET: &str = "0 acknowledged messages lost; exactly one notification per stored message for an offline member";
/// How long the restarted server has to deliver every notification.
const RECOVERY: Duration = Duration::from_secs(120);

struct Outcome {
    acked: u64,
    stored: u64,
    lost: u64,
    missing: u64,
    duplicated: u64,
    recovery: Duration,
}

pub async fn run(options: &Options, target: &mut Target) -> anyhow::Result<Report> {
    anyhow::ensure!(
        target.started(),
        "`faults` stops and restarts the server: run it without --url"
    );
    let senders = options.pick(options.clients, 16, 4);
    let before_fault = options.pick(None, 1_000u64, 50);
    let api = Api::new(&target.urls[0]);
    let users = api.register_many(2).await?;
    let (alice, bob) = (&users[0], &users[1]);
    let started = Instant::now();
    let mut notes = Vec::new();
    let (mut acked, mut lost) = (0, 0);
    for (name, signal) in [("kill -9", libc::SIGKILL), ("SIGTERM", libc::SIGTERM)] {
        let api = Api::new(&target.urls[0]);
        let group = api
            .create_group(alice, &format!("faults {name}"), &[bob])
            .await?;
        eprintln!("{name}: {senders} senders, the signal after {before_fault} acks");
        let outcome = fault(
            &api,
            target,
            (alice, bob),
            &group,
            senders,
            before_fault,
            signal,
        )
        .await
        .with_context(|| format!("{name} run"))?;
        notes.push(format!(
            "{name}: {} acknowledged, {} stored, {} acknowledged but lost; {} missing and {} duplicate notifications, all in {:.1} s after the restart",
            outcome.acked,
            outcome.stored,
            outcome.lost,
            outcome.missing,
            outcome.duplicated,
            outcome.recovery.as_secs_f64()
        ));
        acked += outcome.acked;
        lost += outcome.lost + outcome.missing + outcome.duplicated;
    }
    if target.redis().is_some() && target.urls.len() >= 2 {
        eprintln!(
            "Redis stopped and started again under {} instances",
            target.urls.len()
        );
        let outage = super::redis_outage::run(target, senders, before_fault / 2).await?;
        notes.push(outage.note);
        acked += outage.acked;
        lost += outage.lost;
    } else {
        notes.push("the Redis outage step runs with --backend postgres --instances 2".to_owned());
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(Report {
        scenario: "faults",
        backend: options.backend_label(),
        target: TARGET,
        parameters: json!({"senders": senders, "acks_before_signal": before_fault}),
        duration_secs: elapsed,
        operations: acked,
        throughput: acked as f64 / elapsed,
        throughput_unit: "acknowledged messages/s (bursts and recoveries)",
        latency: None,
        errors: 0,
        lost,
        server: None,
        notes,
    })
}

/// One burst, cut by `signal` once `before_fault` sends were acknowledged; then the restart and
/// the count.
async fn fault(
    api: &Api,
    target: &mut Target,
    (alice, bob): (&User, &User),
    group: &str,
    senders: usize,
    before_fault: u64,
    signal: i32,
) -> anyhow::Result<Outcome> {
    let count = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..senders)
        .map(|sender| {
            let (api, alice, group, count) =
                (api.clone(), alice.clone(), group.to_owned(), count.clone());
            tokio::spawn(async move { burst(&api, &alice, &group, sender, &count).await })
        })
        .collect();
    while count.load(Ordering::Relaxed) < before_fault {
        if tasks.iter().all(|t| t.is_finished()) {
            anyhow::bail!("every sender stopped before the signal");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    target.stop_instance(0, signal).await?;
    let mut acked_ids = HashSet::new();
    for task in tasks {
        acked_ids.extend(task.await?);
    }
    target.restart_instance(0).await?;
    let restarted = Instant::now();
    let api = api.at(&target.urls[0]);

    let stored = stored_messages(&api, alice, group).await?;
    let lost = acked_ids.difference(&stored).count() as u64;
    let deadline = restarted + RECOVERY;
    loop {
        let (distinct, total) = notifications(&api, bob, group).await?;
        let missing = stored.difference(&distinct).count() as u64;
        let duplicated = total - distinct.len() as u64;
        if missing == 0 || Instant::now() > deadline {
            return Ok(Outcome {
                acked: acked_ids.len() as u64,
                stored: stored.len() as u64,
                lost,
                missing,
                duplicated,
                recovery: restarted.elapsed(),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sends until the server goes away; the ids of the acknowledged messages.
async fn burst(
    api: &Api,
    alice: &User,
    group: &str,
    sender: usize,
    count: &AtomicU64,
) -> Vec<String> {
    let path = format!("/api/v1/conversations/{group}/messages");
    let mut acked = Vec::new();
    for n in 0.. {
        let body = json!({"content": format!("burst {sender}/{n}"), "client_message_id": format!("f{sender}-{n}")});
        match api.post(&path, &alice.token, &body).await {
            Ok(message) => {
                if let Some(id) = message["id"].as_str() {
                    acked.push(id.to_owned());
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(_) => break,
        }
    }
    acked
}

/// The ids of every message stored in the conversation.
async fn stored_messages(api: &Api, user: &User, group: &str) -> anyhow::Result<HashSet<String>> {
    let messages = api.all_messages(&user.token, group).await?;
    Ok(messages
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect())
}

/// The messages of `group` that `user` was notified of, and how many notifications those were.
async fn notifications(
    api: &Api,
    user: &User,
    group: &str,
) -> anyhow::Result<(HashSet<String>, u64)> {
    let mut per_message: HashMap<String, u64> = HashMap::new();
    let mut path = "/api/v1/notifications?limit=100".to_owned();
    loop {
        let page: Value = api.get(&path, &user.token).await?;
        for n in page["notifications"].as_array().into_iter().flatten() {
            if n["conversation_id"] == group
                && let Some(message) = n["message_id"].as_str()
            {
                *per_message.entry(message.to_owned()).or_default() += 1;
            }
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/notifications?limit=100&cursor={cursor}"),
            None => break,
        }
    }
    let total = per_message.values().sum();
    Ok((per_message.into_keys().collect(), total))
}
