//! `chatlist`: the first page of `GET /conversations` for a user in a thousand conversations, each
//! with a last message and one unread; the whole list is walked once first to check it.

use std::collections::HashSet;

use anyhow::bail;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::Options;
use crate::api::{Api, User, in_parallel};
use crate::report::{Latency, Report, ServerFigures};
use crate::scenarios::readers;
use crate::server::Target;
use crate::stats;

const TARGET: &str = "p99 ≤ 5 ms for a user in 1,000 conversations, 50 readers";
const PAGE: usize = 50;
/// Readers at once (the same user's devices and tabs), and the pages per second they ask for.
const READERS: usize = 50;
const RATE: u32 = 500;

pub async fn run(options: &Options, target: &Target) -> anyhow::Result<Report> {
    let conversations = options.pick(options.conversations, 1_000, 60);
    let requests = options.pick(options.requests, 1_000, 50);
    let api = Api::new(&target.urls[0]);
    let users = api.register_many(2).await?;
    let (reader, other) = (&users[0], &users[1]);
    eprintln!("creating {conversations} conversations with a message each");
    let api = &api;
    let ids = in_parallel(conversations, 8, |i| async move {
        let id = api
            .create_group(other, &format!("chat {i}"), &[reader])
            .await?;
        api.send_message(other, &id, &format!("hello {i}")).await?;
        anyhow::Ok(id)
    })
    .await?;
    let mut errors = 0;
    if let Err(error) = walk(api, reader, &ids.into_iter().collect::<HashSet<_>>()).await {
        errors += 1;
        eprintln!("{error:#}");
    }

    let readers = options.pick(options.readers, READERS, 4);
    let rate = options.rate.or((!options.smoke).then_some(RATE));
    let expected = PAGE.min(conversations);
    let (api, token) = (api.clone(), reader.token.clone());
    readers::settle(&api).await;
    let before = stats::sample(&target.pids);
    let readings = readers::run(readers, requests, rate, 1, move |_| {
        let (api, token) = (api.clone(), token.clone());
        async move {
            let page = api
                .get(&format!("/api/v1/conversations?limit={PAGE}"), &token)
                .await?;
            check_page(&page, expected)
        }
    })
    .await;
    let after = stats::sample(&target.pids);
    Ok(Report {
        scenario: "chatlist",
        backend: options.backend_label(),
        target: TARGET,
        parameters: json!({"conversations": conversations, "page": PAGE, "requests": requests, "readers": readers, "rate": rate}),
        duration_secs: readings.elapsed.as_secs_f64(),
        operations: requests as u64,
        throughput: requests as f64 / readings.elapsed.as_secs_f64(),
        throughput_unit: "pages/s",
        latency: Latency::of("GET /conversations, first 50", &readings.latency),
        errors: errors + readings.errors,
        lost: 0,
        server: ServerFigures::between(before, after),
        notes: Vec::new(),
    })
}

/// Pages through the whole list by cursor: every conversation exactly once.
async fn walk(api: &Api, reader: &User, expected: &HashSet<String>) -> anyhow::Result<()> {
    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/conversations?limit={PAGE}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = api.get(&path, &reader.token).await?;
        check_page(&page, 0)?;
        for item in page["conversations"].as_array().into_iter().flatten() {
            let id = item["id"].as_str().unwrap_or_default().to_owned();
            if !seen.insert(id.clone()) {
                bail!("conversation {id} listed twice");
            }
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    if &seen != expected {
        bail!(
            "the list holds {} conversations, {} expected",
            seen.len(),
            expected.len()
        );
    }
    Ok(())
}

/// At least `min_len` items, newest activity first, each with its message and one unread.
fn check_page(page: &Value, min_len: usize) -> anyhow::Result<()> {
    let items = page["conversations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if items.len() < min_len || items.len() > PAGE {
        bail!(
            "{} conversations on a page, {min_len} to {PAGE} expected",
            items.len()
        );
    }
    let mut previous: Option<OffsetDateTime> = None;
    for item in &items {
        let at = item["last_activity_at"]
            .as_str()
            .and_then(|at| OffsetDateTime::parse(at, &Rfc3339).ok());
        let Some(at) = at else {
            bail!("no last_activity_at in {item}");
        };
        if previous.is_some_and(|previous| previous < at) {
            bail!("the list is not sorted by last activity");
        }
        previous = Some(at);
        if item["unread_count"].as_i64() != Some(1) || item["last_message"].is_null() {
            bail!("expected one unread message and a preview in {item}");
        }
    }
    Ok(())
}
