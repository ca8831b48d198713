//! `send`: clients each send into a conversation of their own over WebSocket and time the
//! durable `ack` (the server acknowledges after the message is committed).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::Options;
use crate::api::{self, Api, Ws, in_parallel};
use crate::report::{self, Latency, Report, ServerFigures};
use crate::server::Target;
use crate::stats;

const TARGET: &str = "≥ 10,000 messages/s, p99 ack ≤ 20 ms";

struct ClientResult {
    latency: Histogram<u64>,
    seqs: Vec<i64>,
    errors: u64,
}

pub async fn run(options: &Options, target: &Target) -> anyhow::Result<Report> {
    let clients = options.pick(options.clients, 100, 4);
    let duration = options.duration(10.0);
    let window = options.window.max(1);
    let api = Api::new(&target.urls[0]);
    eprintln!("registering {clients} users, one conversation each");
    let users = api.register_many(clients).await?;
    let conversations = in_parallel(clients, 8, |i| {
        let (api, user) = (&api, &users[i]);
        async move { api.create_group(user, &format!("send {i}"), &[]).await }
    })
    .await?;
    let sockets = in_parallel(clients, 16, |i| {
        let api = api.at(&target.urls[i % target.urls.len()]);
        let token = users[i].token.clone();
        async move { api.connect_ws(&token, None).await }
    })
    .await?;

    eprintln!("sending for {:.0} s", duration.as_secs_f64());
    let before = stats::sample(&target.pids);
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = sockets
        .into_iter()
        .zip(conversations.iter().cloned())
        .map(|(ws, conversation)| tokio::spawn(client(ws, conversation, window, deadline)))
        .collect();
    let mut latency = report::histogram();
    let mut errors = 0;
    let mut acked_per_conversation = Vec::new();
    for task in tasks {
        let result = task.await.context("a client task failed")?;
        latency.add(&result.latency)?;
        errors += result.errors;
        // Acks of one connection carry that conversation's seqs: 1..=n, each once.
        let mut seqs = result.seqs;
        seqs.sort_unstable();
        if seqs.iter().enumerate().any(|(i, seq)| *seq != i as i64 + 1) {
            errors += 1;
            eprintln!("acked seqs are not 1..={}", seqs.len());
        }
        acked_per_conversation.push(seqs.len() as i64);
    }
    let elapsed = started.elapsed();
    let after = stats::sample(&target.pids);

    // Durable: every acknowledged message is in the history, and nothing more.
    let mut lost = 0;
    for (i, conversation) in conversations.iter().enumerate() {
        let page = api
            .get(
                &format!("/api/v1/conversations/{conversation}/messages?limit=1"),
                &users[i].token,
            )
            .await?;
        let stored = page["messages"][0]["seq"].as_i64().unwrap_or(0);
        let acked = acked_per_conversation[i];
        if stored < acked {
            lost += (acked - stored) as u64;
        } else if stored > acked {
            errors += 1;
            eprintln!("conversation {conversation}: {stored} stored, {acked} acknowledged");
        }
    }
    let total: i64 = acked_per_conversation.iter().sum();
    Ok(Report {
        scenario: "send",
        backend: options.backend_label(),
        target: TARGET,
        parameters: json!({"clients": clients, "conversations": clients, "window": window}),
        duration_secs: elapsed.as_secs_f64(),
        operations: total as u64,
        throughput: total as f64 / elapsed.as_secs_f64(),
        throughput_unit: "messages/s",
        latency: Latency::of("send → durable ack", &latency),
        errors,
        lost,
        server: ServerFigures::between(before, after),
        notes: Vec::new(),
    })
}

/// Keeps `window` messages in flight until the deadline, then waits for the last acks.
async fn client(
    mut ws: Ws,
    conversation: String,
    window: usize,
    deadline: Instant,
) -> ClientResult {
    let mut result = ClientResult {
        latency: report::histogram(),
        seqs: Vec::new(),
        errors: 0,
    };
    let mut in_flight: HashMap<u64, Instant> = HashMap::new();
    let mut next_ref = 0u64;
    loop {
        while in_flight.len() < window && Instant::now() < deadline {
            next_ref += 1;
            let frame = json!({
                "type": "message.send",
                "ref": next_ref,
                "conversation_id": conversation,
                "content": format!("bench message {next_ref}"),
                "client_message_id": format!("s-{next_ref}"),
            });
            in_flight.insert(next_ref, Instant::now());
            if api::send_text(&mut ws, frame.to_string()).await.is_err() {
                result.errors += 1;
                return result;
            }
        }
        if in_flight.is_empty() {
            break;
        }
        let frame = match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => text,
            Ok(Some(Ok(_))) => continue,
            _ => {
                result.errors += in_flight.len() as u64;
                return result;
            }
        };
        // Our own message.created events arrive too; only replies carry a ref.
        if !frame.contains("\"ref\"") {
            continue;
        }
        let Ok(reply) = serde_json::from_str::<Value>(&frame) else {
            result.errors += 1;
            continue;
        };
        let Some(sent) = reply["ref"].as_u64().and_then(|r| in_flight.remove(&r)) else {
            continue;
        };
        match (
            reply["type"].as_str(),
            reply["data"]["message"]["seq"].as_i64(),
        ) {
            (Some("ack"), Some(seq)) => {
                report::record(&mut result.latency, sent.elapsed());
                result.seqs.push(seq);
            }
            _ => {
                result.errors += 1;
                eprintln!("send failed: {frame}");
            }
        }
    }
    let _ = ws.close(None).await;
    result
}
