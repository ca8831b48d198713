//! `fanout`: one group whose members are all connected; one member sends at a fixed rate and every
//! member's connection times each message from send to delivery, and counts what never came.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde_json::json;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::Options;
use crate::api::{Api, User, Ws, in_parallel};
use crate::report::{self, Latency, Report, ServerFigures};
use crate::server::Target;
use crate::stats;

const TARGET: &str = "≥ 50,000 deliveries/s, p99 send→deliver ≤ 25 ms, 0 lost";
const MARK: &str = "\"client_message_id\":\"f-";

struct Received {
    latency: Histogram<u64>,
    unique: u64,
    duplicates: u64,
    last_at: Option<Instant>,
    /// Why the server ended the connection early, if it did.
    closed: Option<String>,
}

pub async fn run(options: &Options, target: &Target) -> anyhow::Result<Report> {
    let members = options.pick(options.members, 500, 20).max(2);
    let rate = options.pick(options.rate, 100, 20).max(1);
    let duration = options.duration(10.0);
    let count = ((f64::from(rate) * duration.as_secs_f64()).round() as usize).max(1);
    let api = Api::new(&target.urls[0]);
    eprintln!("registering {members} members");
    let users = api.register_many(members).await?;
    let others: Vec<&User> = users[1..].iter().collect();
    let conversation = api.create_group(&users[0], "fanout", &others).await?;
    let instances = target.urls.len();
    let epoch = Instant::now();
    let sent_at: Arc<Vec<AtomicU64>> = Arc::new((0..count).map(|_| AtomicU64::new(0)).collect());
    let (stop, stopped) = watch::channel(false);
    // Each connection is read from the moment it is ready, as a real client would: an unread
    // one fills with the others' presence events and is cut off as a slow consumer.
    let receivers = in_parallel(members, 16, |i| {
        let api = api.at(&target.urls[i % instances]);
        let token = users[i].token.clone();
        let (sent_at, stopped) = (Arc::clone(&sent_at), stopped.clone());
        async move {
            let ws = api.connect_ws(&token, None).await?;
            Ok(tokio::spawn(receive(ws, epoch, sent_at, count, stopped)))
        }
    })
    .await?;
    // The sender's own connection, apart from its receiving one, on the first instance.
    let sender = api.connect_ws(&users[0].token, None).await?;
    // Let the presence announcements of everyone coming online settle first.
    tokio::time::sleep(Duration::from_secs(2)).await;

    eprintln!(
        "sending {count} messages at {rate}/s to {members} members over {instances} instance(s)"
    );
    let before = stats::sample(&target.pids);
    let started = Instant::now();
    let (acked, send_errors, sender_ended) =
        send(sender, &conversation, rate, epoch, &sent_at).await;
    // Let deliveries drain: every receiver stops once it has all, or after 10 s.
    let drain = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let _ = stop.send(true);
    });
    let mut latency = report::histogram();
    let (mut unique, mut duplicates) = (0u64, 0u64);
    let mut last_delivery = started;
    let mut closed = Vec::new();
    for receiver in receivers {
        let received = receiver.await.context("a receiver task failed")?;
        latency.add(&received.latency)?;
        unique += received.unique;
        duplicates += received.duplicates;
        closed.extend(received.closed);
        if let Some(at) = received.last_at {
            last_delivery = last_delivery.max(at);
        }
    }
    drain.abort();
    let after = stats::sample(&target.pids);
    let elapsed = last_delivery.duration_since(started);
    let expected = acked * members as u64;
    Ok(Report {
        scenario: "fanout",
        backend: options.backend_label(),
        target: TARGET,
        parameters: json!({"members": members, "rate_per_sec": rate, "messages": count, "instances": instances}),
        duration_secs: elapsed.as_secs_f64(),
        operations: unique,
        throughput: unique as f64 / elapsed.as_secs_f64().max(f64::EPSILON),
        throughput_unit: "deliveries/s",
        latency: Latency::of("send → deliver", &latency),
        errors: send_errors + duplicates + (count as u64).saturating_sub(acked + send_errors),
        lost: expected.saturating_sub(unique),
        server: ServerFigures::between(before, after),
        notes: notes(acked, unique, expected, duplicates, &closed, sender_ended),
    })
}

/// Sends `count` messages at `rate` per second without waiting for acks; returns (acked,
/// errors, why the sender's connection ended before every ack came).
async fn send(
    ws: Ws,
    conversation: &str,
    rate: u32,
    epoch: Instant,
    sent_at: &[AtomicU64],
) -> (u64, u64, Option<String>) {
    let (mut sink, mut stream) = ws.split();
    let count = sent_at.len() as u64;
    let acks = tokio::spawn(async move {
        let (mut acked, mut errors, mut ended) = (0u64, 0u64, None);
        while acked + errors < count {
            match tokio::time::timeout(Duration::from_secs(10), stream.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    if text.contains("\"type\":\"ack\"") {
                        acked += 1;
                    } else if text.contains("\"type\":\"error\"") {
                        errors += 1;
                        eprintln!("send failed: {text}");
                    }
                }
                Ok(Some(Ok(Message::Close(frame)))) => {
                    ended = Some(frame.map_or("closed, no code".into(), |f| {
                        format!("closed {}: {}", f.code, f.reason)
                    }));
                    break;
                }
                Ok(Some(Ok(_))) => {}
                Ok(other) => {
                    ended = Some(format!("{other:?}"));
                    break;
                }
                Err(_) => {
                    ended = Some("no frame for 10 s".into());
                    break;
                }
            }
        }
        (acked, errors, ended)
    });
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    for (index, slot) in sent_at.iter().enumerate() {
        ticks.tick().await;
        let frame = json!({
            "type": "message.send",
            "ref": index,
            "conversation_id": conversation,
            "content": format!("fanout {index}"),
            "client_message_id": format!("f-{index}"),
        });
        slot.store(epoch.elapsed().as_nanos() as u64, Ordering::Release);
        if sink.send(Message::text(frame.to_string())).await.is_err() {
            break;
        }
    }
    let (acked, errors, ended) = acks.await.unwrap_or((0, count, None));
    let _ = sink.close().await;
    (acked, errors, ended)
}

async fn receive(
    mut ws: Ws,
    epoch: Instant,
    sent_at: Arc<Vec<AtomicU64>>,
    count: usize,
    mut stop: watch::Receiver<bool>,
) -> Received {
    let mut received = Received {
        latency: report::histogram(),
        unique: 0,
        duplicates: 0,
        last_at: None,
        closed: None,
    };
    let mut seen = vec![false; count];
    while received.unique < count as u64 {
        let frame = tokio::select! {
            frame = ws.next() => frame,
            _ = stop.changed() => break,
        };
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => {
                received.closed = Some(frame.map_or("no code".into(), |f| f.code.to_string()));
                break;
            }
            Some(Ok(_)) => continue,
            other => {
                received.closed = Some(format!("{other:?}"));
                break;
            }
        };
        // A cheap scan instead of a full parse: the load generator shares the server's cores.
        if !text.contains("\"type\":\"message.created\"") {
            continue;
        }
        let Some(index) = text.split_once(MARK).and_then(|(_, rest)| {
            rest.split('"')
                .next()
                .and_then(|digits| digits.parse::<usize>().ok())
        }) else {
            continue;
        };
        let now = Instant::now();
        match seen.get_mut(index) {
            Some(true) => received.duplicates += 1,
            Some(slot) => {
                *slot = true;
                received.unique += 1;
                received.last_at = Some(now);
                let sent = sent_at[index].load(Ordering::Acquire);
                let delivered = now.duration_since(epoch).as_nanos() as u64;
                report::record(
                    &mut received.latency,
                    Duration::from_nanos(delivered.saturating_sub(sent)),
                );
            }
            None => {}
        }
    }
    let _ = ws.close(None).await;
    received
}

fn notes(
    acked: u64,
    unique: u64,
    expected: u64,
    duplicates: u64,
    closed: &[String],
    sender_ended: Option<String>,
) -> Vec<String> {
    let mut notes = vec![format!(
        "{acked} messages acknowledged, {unique} of {expected} deliveries, {duplicates} duplicates"
    )];
    if let Some(why) = sender_ended {
        notes.push(format!(
            "the sender's connection ended after {acked} acks: {why}"
        ));
    }
    if let Some(first) = closed.first() {
        notes.push(format!(
            "{} connections ended by the server early (first: {first})",
            closed.len()
        ));
    }
    notes
}
