//! `business`: a thousand customers write to one business at once, twenty agents with room for
//! all of them; how long each waits for its agent, and whether every case was assigned exactly
//! once with no agent past capacity. Openings are spread over every instance.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::{bail, ensure};
use reqwest::Method;
use serde_json::json;

use crate::Options;
use crate::api::{Api, User, in_parallel};
use crate::report::{self, Latency, Report, ServerFigures};
use crate::server::Target;
use crate::stats;

const TARGET: &str = "every case assigned exactly once, no agent past capacity (no latency target)";
/// Openings in flight at once: the customers' arrival.
const PARALLEL: usize = 100;

pub async fn run(options: &Options, target: &Target) -> anyhow::Result<Report> {
    let customers = options.pick(options.customers, 1_000, 40);
    let agents = options.pick(options.agents, 20, 4);
    let capacity = customers.div_ceil(agents).max(1);
    let api = Api::new(&target.urls[0]);
    eprintln!("registering {customers} customers and {agents} agents");
    let users = api.register_many(customers + agents + 1).await?;
    let (owner, rest) = users.split_first().expect("users were registered");
    let (staff, crowd) = rest.split_at(agents);
    let business = open_business(&api, owner, staff, capacity).await?;

    let apis: Vec<Api> = target.urls.iter().map(|url| api.at(url)).collect();
    let (apis, business) = (&apis, business.as_str());
    let before = stats::sample(&target.pids);
    let started = Instant::now();
    let opened = in_parallel(customers, PARALLEL, |i| async move {
        let api = &apis[i % apis.len()];
        let began = Instant::now();
        let case = api
            .post(
                &format!("/api/v1/businesses/{business}/cases"),
                &crowd[i].token,
                &json!({}),
            )
            .await?;
        let took = began.elapsed();
        ensure!(case["state"] == "assigned", "not assigned at once: {case}");
        anyhow::Ok((
            case["conversation_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            took,
        ))
    })
    .await?;
    let elapsed = started.elapsed();
    let after = stats::sample(&target.pids);

    let mut latency = report::histogram();
    for (_, took) in &opened {
        report::record(&mut latency, *took);
    }
    let (assigned, most) = check_once(&api, business, staff, capacity).await?;
    let mut expected: Vec<&str> = opened.iter().map(|(id, _)| id.as_str()).collect();
    expected.sort_unstable();
    let lost = expected.len().saturating_sub(assigned.len()) as u64;
    ensure!(
        assigned
            .iter()
            .map(String::as_str)
            .eq(expected.iter().copied()),
        "the agents' inboxes do not hold exactly the cases opened"
    );
    Ok(Report {
        scenario: "business",
        backend: options.backend_label(),
        target: TARGET,
        parameters: json!({"customers": customers, "agents": agents, "capacity": capacity, "in_flight": PARALLEL, "instances": target.urls.len()}),
        duration_secs: elapsed.as_secs_f64(),
        operations: customers as u64,
        throughput: customers as f64 / elapsed.as_secs_f64(),
        throughput_unit: "cases/s",
        latency: Latency::of("POST …/cases until assigned", &latency),
        errors: 0,
        lost,
        server: ServerFigures::between(before, after),
        notes: vec![format!(
            "{} cases, each in exactly one agent's inbox; the busiest agent holds {most} of {capacity}",
            assigned.len()
        )],
    })
}

/// A business whose one team holds every agent, each available with `capacity`.
async fn open_business(
    api: &Api,
    owner: &User,
    staff: &[User],
    capacity: usize,
) -> anyhow::Result<String> {
    let handle = format!("bench_{}", &owner.id[24..]);
    let created = api
        .post(
            "/api/v1/businesses",
            &owner.token,
            &json!({"handle": handle, "name": "Bench"}),
        )
        .await?;
    let business = created["id"].as_str().unwrap_or_default().to_owned();
    for agent in staff {
        let path = format!("/api/v1/businesses/{business}/members/{}", agent.id);
        api.call(
            Method::PUT,
            &path,
            Some(&owner.token),
            Some(&json!({"role": "agent"})),
        )
        .await?;
    }
    let teams = api
        .get(
            &format!("/api/v1/businesses/{business}/teams"),
            &owner.token,
        )
        .await?;
    let team = teams["teams"][0]["id"].as_str().unwrap_or_default();
    let ids: Vec<&str> = staff.iter().map(|a| a.id.as_str()).collect();
    let path = format!("/api/v1/businesses/{business}/teams/{team}");
    let body = json!({"name": "General", "agent_ids": ids});
    api.call(Method::PUT, &path, Some(&owner.token), Some(&body))
        .await?;
    for agent in staff {
        let path = format!("/api/v1/businesses/{business}/agents/me");
        let body = json!({"status": "available", "capacity": capacity});
        api.call(Method::PUT, &path, Some(&agent.token), Some(&body))
            .await?;
    }
    Ok(business)
}

/// Every agent's open cases, sorted: each case in one inbox only; and the largest inbox.
async fn check_once(
    api: &Api,
    business: &str,
    staff: &[User],
    capacity: usize,
) -> anyhow::Result<(Vec<String>, usize)> {
    let mut owner_of: HashMap<String, &str> = HashMap::new();
    let mut most = 0;
    for agent in staff {
        let inbox = api
            .get(
                &format!("/api/v1/businesses/{business}/inbox?limit=200"),
                &agent.token,
            )
            .await?;
        let cases = inbox["cases"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        ensure!(
            cases.len() <= capacity,
            "an agent holds {} of {capacity}",
            cases.len()
        );
        most = most.max(cases.len());
        for case in cases {
            let id = case["conversation_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if owner_of.insert(id.clone(), &agent.id).is_some() {
                bail!("{id} is in two inboxes");
            }
        }
    }
    let mut assigned: Vec<String> = owner_of.into_keys().collect();
    assigned.sort_unstable();
    Ok((assigned, most))
}
