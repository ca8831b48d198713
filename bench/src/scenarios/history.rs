//! `history`: pages of 50 from a conversation of a million messages: the newest page, older pages
//! at random points (scrolling back) and newer pages (catch-up), each checked for gaps.

use std::time::Instant;

use anyhow::Context;
use serde_json::{Value, json};

use super::Sequence;
use crate::Options;
use crate::api::Api;
use crate::report::{self, Latency, Report, ServerFigures};
use crate::seed;
use crate::server::Target;
use crate::stats;

const TARGET: &str = "p99 ≤ 5 ms for a page of 50 from 1,000,000 messages";
const PAGE: u64 = 50;

pub async fn run(options: &Options, target: &Target) -> anyhow::Result<Report> {
    let messages = options
        .pick(options.messages, 1_000_000, 5_000)
        .max(PAGE * 2);
    let requests = options.pick(options.requests, 2_000, 100);
    let database = target.seed_database_url.as_deref().context(
        "history seeds through the server's database: pass --seed-database-url with --url",
    )?;
    let api = Api::new(&target.urls[0]);
    let users = api.register_many(2).await?;
    let (reader, sender) = (&users[0], &users[1]);
    let conversation = api.create_group(sender, "history", &[reader]).await?;
    eprintln!("seeding {messages} messages");
    let seeded_in = seed::messages(database, &conversation, &sender.id, messages).await?;

    let mut sequence = Sequence::new(0x5eed);
    let mut latency = report::histogram();
    let mut errors = 0;
    let before = stats::sample(&target.pids);
    let started = Instant::now();
    for request in 0..requests {
        // A quarter newest pages, half scrolling back, a quarter catching up.
        let (query, first) = match request % 4 {
            0 => (String::new(), messages - PAGE + 1),
            1 | 2 => {
                let before_seq = PAGE + 1 + sequence.below(messages - PAGE);
                (format!("&before_seq={before_seq}"), before_seq - PAGE)
            }
            _ => {
                let after_seq = sequence.below(messages - PAGE);
                (format!("&after_seq={after_seq}"), after_seq + 1)
            }
        };
        let path = format!("/api/v1/conversations/{conversation}/messages?limit={PAGE}{query}");
        let begun = Instant::now();
        let page = api.get(&path, &reader.token).await;
        report::record(&mut latency, begun.elapsed());
        match page {
            Ok(page) if is_full_page(&page, first) => {}
            Ok(_) => {
                errors += 1;
                eprintln!("{path}: not the 50 messages from seq {first}");
            }
            Err(error) => {
                errors += 1;
                eprintln!("{error:#}");
            }
        }
    }
    let elapsed = started.elapsed();
    let after = stats::sample(&target.pids);
    Ok(Report {
        scenario: "history",
        backend: options.backend_label(),
        target: TARGET,
        parameters: json!({"messages": messages, "page": PAGE, "requests": requests, "concurrency": 1}),
        duration_secs: elapsed.as_secs_f64(),
        operations: requests as u64,
        throughput: requests as f64 / elapsed.as_secs_f64(),
        throughput_unit: "pages/s (one client)",
        latency: Latency::of("GET …/messages, 50 per page", &latency),
        errors,
        lost: 0,
        server: ServerFigures::between(before, after),
        notes: vec![format!("seeded {messages} messages in {seeded_in:.1} s")],
    })
}

/// Fifty messages, ascending and gap-free from `first`.
fn is_full_page(page: &Value, first: u64) -> bool {
    let Some(messages) = page["messages"].as_array() else {
        return false;
    };
    messages.len() as u64 == PAGE
        && messages
            .iter()
            .enumerate()
            .all(|(i, message)| message["seq"].as_u64() == Some(first + i as u64))
}
