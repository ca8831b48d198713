//! `history`: pages of 50 from a conversation of a million messages: the newest page, older pages
//! at random points (scrolling back) and newer pages (catch-up), each checked for gaps.

use anyhow::Context;
use hdrhistogram::Histogram;
use serde_json::{Value, json};

use super::{Sequence, readers};
use crate::Options;
use crate::api::Api;
use crate::report::{self, Latency, Report, ServerFigures};
use crate::seed;
use crate::server::Target;
use crate::stats;

const TARGET: &str =
    "p99 ≤ 2 ms (SQLite), ≤ 3 ms (PostgreSQL) for a page of 50 from 1,000,000 messages, 50 readers";
const PAGE: u64 = 50;
/// Readers at once, and the pages per second they ask for together.
const READERS: usize = 50;
const RATE: u32 = 1_000;

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

    let readers = options.pick(options.readers, READERS, 4);
    let rate = options.rate.or((!options.smoke).then_some(RATE));
    let (api, reader) = (api.clone(), reader.token.clone());
    readers::settle(&api).await;
    let before = stats::sample(&target.pids);
    let readings = readers::run(readers, requests, rate, 4, move |request| {
        let (path, first) = page_of(&conversation, messages, request);
        let (api, reader) = (api.clone(), reader.clone());
        async move {
            let page = api.get(&path, &reader).await?;
            anyhow::ensure!(
                is_full_page(&page, first),
                "{path}: not the 50 messages from seq {first}"
            );
            Ok(())
        }
    })
    .await;
    let after = stats::sample(&target.pids);
    Ok(Report {
        scenario: "history",
        backend: options.backend_label(),
        target: TARGET,
        parameters: json!({"messages": messages, "page": PAGE, "requests": requests, "readers": readers, "rate": rate}),
        duration_secs: readings.elapsed.as_secs_f64(),
        operations: requests as u64,
        throughput: requests as f64 / readings.elapsed.as_secs_f64(),
        throughput_unit: "pages/s",
        latency: Latency::of("GET …/messages, 50 per page", &readings.latency),
        errors: readings.errors,
        lost: 0,
        server: ServerFigures::between(before, after),
        notes: vec![
            format!("seeded {messages} messages in {seeded_in:.1} s"),
            percentiles("newest page", &readings.by_class[0]),
            percentiles(
                "older pages (scrolling back)",
                &merged(&readings.by_class[1..3]),
            ),
            percentiles("newer pages (catching up)", &readings.by_class[3]),
        ],
    })
}

fn merged(histograms: &[Histogram<u64>]) -> Histogram<u64> {
    let mut all = report::histogram();
    for histogram in histograms {
        all.add(histogram).expect("histograms of one shape");
    }
    all
}

/// One kind of page's latency, for the notes.
fn percentiles(of: &str, histogram: &Histogram<u64>) -> String {
    match Latency::of("", histogram) {
        Some(l) => format!("{of}: p50 {:.2} ms, p99 {:.2} ms", l.p50_ms, l.p99_ms),
        None => format!("{of}: no samples"),
    }
}

/// The `request`th page read: a quarter newest pages, half scrolling back from random points,
/// a quarter catching up; its path and the seq it must start at.
fn page_of(conversation: &str, messages: u64, request: usize) -> (String, u64) {
    let mut sequence = Sequence::new((request as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
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
    (path, first)
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
