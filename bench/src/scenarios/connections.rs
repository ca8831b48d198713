//! `connections`: opens idle authenticated WebSockets from several loopback source addresses (one
//! address has about 28,000 ephemeral ports), holds them, and reports the server's memory per
//! connection and whether every one stayed open.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream;
use serde_json::json;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::Options;
use crate::api::{Api, Ws};
use crate::report::{self, Latency, Report, ServerFigures};
use crate::server::Target;
use crate::stats;

const TARGET: &str = "≥ 50,000 held, server RSS ≤ 8 KiB per connection";
/// Connections per user: devices of one account, so that registration (argon2) stays short.
const PER_USER: usize = 100;
/// Connections per source address, well inside one address's ephemeral port range.
const PER_ADDRESS: usize = 20_000;
/// Descriptors each process keeps for everything but the connections.
const SPARE_FDS: u64 = 256;

pub async fn run(options: &Options, target: &Target) -> anyhow::Result<Report> {
    let wanted = options.pick(options.connections, 50_000, 200);
    let mut notes = Vec::new();
    // This process holds one descriptor per connection, and so does a server it started.
    let possible = stats::fd_limit().saturating_sub(SPARE_FDS) as usize;
    let count = wanted.min(possible);
    if count < wanted {
        notes.push(format!(
            "{wanted} asked, {count} opened: the open-file limit here is {} (RLIMIT_NOFILE hard)",
            stats::fd_limit()
        ));
    }
    let hold = options.duration(10.0);
    let api = Api::new(&target.urls[0]);
    let users = api.register_many(count.div_ceil(PER_USER)).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = stats::sample(&target.pids);

    eprintln!("opening {count} connections");
    let (stop, stopped) = watch::channel(false);
    let started = Instant::now();
    let opened: Vec<Result<(Duration, tokio::task::JoinHandle<bool>), String>> =
        stream::iter(0..count)
            .map(|i| {
                let api = api.at(&target.urls[i % target.urls.len()]);
                let token = users[i / PER_USER].token.clone();
                let source = Ipv4Addr::new(127, 0, 0, 2 + (i / PER_ADDRESS) as u8);
                let stopped = stopped.clone();
                async move {
                    let begun = Instant::now();
                    let ws = api
                        .connect_ws(&token, Some(source))
                        .await
                        .map_err(|error| error.to_string())?;
                    Ok((begun.elapsed(), tokio::spawn(hold_open(ws, stopped))))
                }
            })
            .buffer_unordered(64)
            .collect()
            .await;
    let open_time = started.elapsed();
    let mut latency = report::histogram();
    let mut holders = Vec::new();
    let mut failed = 0u64;
    for result in opened {
        match result {
            Ok((took, holder)) => {
                report::record(&mut latency, took);
                holders.push(holder);
            }
            Err(error) => {
                if failed < 5 {
                    eprintln!("connect failed: {error}");
                }
                failed += 1;
            }
        }
    }
    eprintln!(
        "{} open in {:.1} s; holding for {:.0} s",
        holders.len(),
        open_time.as_secs_f64(),
        hold.as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let settled = stats::sample(&target.pids);
    tokio::time::sleep(hold).await;
    let held_until = stats::sample(&target.pids);
    let _ = stop.send(true);
    let mut dropped = 0u64;
    for holder in holders.iter_mut() {
        if !holder.await.unwrap_or(false) {
            dropped += 1;
        }
    }
    let held = holders.len() as u64 - dropped;
    if dropped > 0 {
        notes.push(format!("{dropped} connections closed while held"));
    }
    let mut server = ServerFigures::between(settled, held_until);
    if let (Some(server), Some(before), Some(settled)) = (server.as_mut(), before, settled) {
        let grown = settled.rss_kib.saturating_sub(before.rss_kib) as f64;
        server.rss_per_connection_kib = Some(grown / (held.max(1) as f64));
    }
    Ok(Report {
        scenario: "connections",
        backend: options.backend_label(),
        target: TARGET,
        parameters: json!({"connections": count, "users": users.len(), "hold_secs": hold.as_secs_f64()}),
        duration_secs: open_time.as_secs_f64(),
        operations: held,
        throughput: holders.len() as f64 / open_time.as_secs_f64().max(f64::EPSILON),
        throughput_unit: "connections opened/s",
        latency: Latency::of("connect → ready", &latency),
        errors: failed,
        lost: dropped,
        server,
        notes,
    })
}

/// Reads (answering the server's pings) until told to stop; true when still open then.
async fn hold_open(mut ws: Ws, mut stop: watch::Receiver<bool>) -> bool {
    loop {
        tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return false,
                Some(Ok(_)) => {}
            },
            _ = stop.changed() => {
                let _ = ws.close(None).await;
                return true;
            }
        }
    }
}
