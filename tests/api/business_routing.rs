//! Business routing under concurrency (two instances when Redis is there to join them), and
//! its events on the socket.

use std::collections::HashMap;

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, spawn_app, spawn_twin};
use crate::shops::{case, shop};

async fn cases_of(app: &TestApp, business: &str, agent: &TestUser) -> Vec<String> {
    let inbox = app
        .get_ok(
            &format!("/api/v1/businesses/{business}/inbox"),
            &agent.access_token,
        )
        .await;
    inbox["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["conversation_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn concurrent_arrivals_and_agents_on_two_instances_assign_each_case_exactly_once() {
    let app = spawn_app().await;
    let twin = spawn_twin(&app).await;
    let other = twin.as_ref().unwrap_or(&app);
    let instances = [&app, other];
    let shop = shop(&app, "race_shop").await;
    let mut agents = Vec::new();
    for n in 0..5 {
        let agent = app.register(&format!("racer{n}")).await;
        shop.hire(&app, &agent, "agent").await;
        agents.push(agent);
    }
    let ids: Vec<&str> = agents.iter().map(|a| a.id.as_str()).collect();
    let team = app
        .put_json(
            &format!("/api/v1/businesses/{}/teams/{}", shop.id, shop.team),
            &json!({"name": "General", "agent_ids": ids}),
            &shop.owner.access_token,
        )
        .await;
    assert_eq!(team.status(), StatusCode::OK);
    // A second team of the same agents: routings of the two queues compete for them.
    let second = app
        .post_json(
            &format!("/api/v1/businesses/{}/teams", shop.id),
            &json!({"name": "Second line", "agent_ids": ids}),
            Some(&shop.owner.access_token),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    let teams = [json!(shop.team), second["id"].clone()];
    let mut customers = Vec::new();
    for n in 0..40 {
        customers.push(app.register(&format!("crowd{n}")).await);
    }

    // Forty customers arrive in both teams while five agents (room for four each) come
    // online, all at once and spread over both instances.
    let arrivals = customers.iter().enumerate().map(|(n, customer)| {
        let instance = instances[n % 2];
        let (shop, team) = (&shop, &teams[n / 2 % 2]);
        async move {
            let response = instance
                .post_json(
                    &format!("/api/v1/businesses/{}/cases", shop.id),
                    &json!({"team_id": team}),
                    Some(&customer.access_token),
                )
                .await;
            assert_eq!(response.status(), StatusCode::CREATED);
            let case: Value = response.json().await.unwrap();
            case["conversation_id"].as_str().unwrap().to_owned()
        }
    });
    let online = agents.iter().enumerate().map(|(n, agent)| {
        let instance = instances[n % 2];
        let shop = &shop;
        async move {
            shop.availability(
                instance,
                agent,
                json!({"status": "available", "capacity": 4}),
            )
            .await;
        }
    });
    let (opened, _) = tokio::join!(join_all(arrivals), join_all(online));

    let mut owner_of: HashMap<String, usize> = HashMap::new();
    for (n, agent) in agents.iter().enumerate() {
        let mine = cases_of(&app, &shop.id, agent).await;
        assert_eq!(
            mine.len(),
            4,
            "every agent is filled to capacity, never past it"
        );
        for id in mine {
            assert!(owner_of.insert(id, n).is_none(), "a case assigned twice");
        }
    }
    let queue = app
        .get_ok(
            &format!("/api/v1/businesses/{}/queue", shop.id),
            &shop.owner.access_token,
        )
        .await;
    let queued: Vec<String> = queue["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["conversation_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(queued.len(), 20);
    for id in &opened {
        let assigned = owner_of.contains_key(id);
        assert!(
            assigned != queued.contains(id),
            "{id} is either assigned or queued"
        );
    }

    // Every agent resolves everything at once, on both instances: the queue drains into the
    // freed room, again never twice and never past capacity.
    let resolutions = owner_of.iter().map(|(id, n)| {
        let instance = instances[*n % 2];
        let agent = &agents[*n];
        async move {
            let response = instance
                .post_json(
                    &format!("/api/v1/conversations/{id}/case/resolve"),
                    &json!({}),
                    Some(&agent.access_token),
                )
                .await;
            assert_eq!(response.status(), StatusCode::OK);
        }
    });
    join_all(resolutions).await;
    let mut second: Vec<String> = Vec::new();
    for agent in &agents {
        let mine = cases_of(&app, &shop.id, agent).await;
        assert!(mine.len() <= 4);
        second.extend(mine);
    }
    second.sort();
    let mut expected = queued.clone();
    expected.sort();
    assert_eq!(second, expected, "the whole queue, each case once");
}

#[tokio::test]
async fn the_socket_tells_the_customer_and_the_supervisors() {
    let app = spawn_app().await;
    let shop = shop(&app, "live_shop").await;
    let agent = app.register("live_agent").await;
    shop.hire(&app, &agent, "agent").await;
    let team = app
        .put_json(
            &format!("/api/v1/businesses/{}/teams/{}", shop.id, shop.team),
            &json!({"name": "General", "agent_ids": [agent.id]}),
            &shop.owner.access_token,
        )
        .await;
    assert_eq!(team.status(), StatusCode::OK);
    let customer = app.register("live_customer").await;
    let mut customer_socket = app.ws(&customer.access_token).await;
    let mut owner_socket = app.ws(&shop.owner.access_token).await;
    let mut agent_socket = app.ws(&agent.access_token).await;

    let (_, opened) = shop.open(&app, &customer).await;
    let conversation = opened["conversation_id"].clone();
    customer_socket.expect("conversation.created").await;
    let queued = customer_socket.expect("case.updated").await;
    assert_eq!(queued["data"]["state"], "queued");
    assert_eq!(queued["data"]["conversation_id"], conversation);
    assert_eq!(
        owner_socket.expect("case.updated").await["data"]["state"],
        "queued"
    );

    shop.availability(&app, &agent, json!({"status": "available"}))
        .await;
    let status = owner_socket.expect("agent.updated").await;
    assert_eq!(status["data"]["user_id"], agent.id.as_str());
    assert_eq!(status["data"]["status"], "available");
    let assigned = customer_socket.expect("case.updated").await;
    assert_eq!(assigned["data"]["state"], "assigned");
    assert_eq!(assigned["data"]["agent_id"], agent.id.as_str());
    let joined = agent_socket.expect("participant.added").await;
    assert_eq!(joined["data"]["conversation_id"], conversation);
    assert_eq!(
        agent_socket.expect("case.updated").await["data"]["state"],
        "assigned"
    );

    // Their messages flow both ways like any conversation's.
    let id = conversation.as_str().unwrap();
    app.send_message(&customer, id, "Hello?").await;
    // The "agent joined" notice comes too, before or after, as a system message.
    let mut kinds = Vec::new();
    let message = loop {
        let frame = agent_socket.expect("message.created").await;
        kinds.push(frame["data"]["kind"].clone());
        if frame["data"]["kind"] == "text" {
            break frame;
        }
    };
    assert_eq!(message["data"]["content"], "Hello?");
    if kinds.len() == 1 {
        let notice = agent_socket.expect("message.created").await;
        assert_eq!(notice["data"]["kind"], "system");
    }
    assert_eq!(case(&app, &conversation, &agent).await["state"], "assigned");
}

#[tokio::test]
async fn an_agent_whose_last_connection_closes_goes_offline() {
    let app = spawn_app().await;
    let shop = shop(&app, "closing_shop").await;
    let socket = app.ws(&shop.owner.access_token).await;
    let second = app.ws(&shop.owner.access_token).await;
    shop.availability(&app, &shop.owner, json!({"status": "available"}))
        .await;
    let members = format!("/api/v1/businesses/{}/members", shop.id);
    let token = shop.owner.access_token.as_str();
    let status = || async { app.get_ok(&members, token).await["members"][0]["status"].clone() };
    socket.close().await;
    second.close().await;
    crate::helpers::eventually("the owner is offline", || async {
        (status().await == "offline").then_some(())
    })
    .await;
    let customer = app.register("late_customer").await;
    let (_, opened) = shop.open(&app, &customer).await;
    assert_eq!(opened["state"], "queued");
}

#[tokio::test]
async fn the_customer_writing_again_reopens_a_resolved_case() {
    let app = spawn_app().await;
    let shop = shop(&app, "again_shop").await;
    let agent = shop.agent(&app, "again_agent", 2).await;
    let customer = app.register("again_customer").await;
    let (_, opened) = shop.open(&app, &customer).await;
    assert_eq!(opened["state"], "assigned");
    let conversation = opened["conversation_id"].clone();
    let id = conversation.as_str().unwrap();
    let resolved = app
        .post_json(
            &format!("/api/v1/conversations/{id}/case/resolve"),
            &json!({}),
            Some(&agent.access_token),
        )
        .await;
    assert_eq!(resolved.status(), StatusCode::OK);

    app.send_message(&customer, id, "One more thing").await;
    // Queued again, then routed: the agent has room.
    let reopened = crate::helpers::eventually("the case is assigned again", || async {
        let now = case(&app, &conversation, &customer).await;
        (now["state"] == "assigned").then_some(now)
    })
    .await;
    assert_eq!(reopened["agent_id"], agent.id.as_str());
    assert_eq!(reopened["resolved_at"], Value::Null);
}

#[tokio::test]
async fn supervisors_see_the_waiting_and_the_median_times() {
    let app = spawn_app().await;
    let shop = shop(&app, "figures_shop").await;
    let agent = shop.agent(&app, "figures_agent", 1).await;
    let first = app.register("first_customer").await;
    let second = app.register("second_customer").await;
    let (_, served) = shop.open(&app, &first).await;
    let (_, waiting) = shop.open(&app, &second).await;
    assert_eq!(
        (&served["state"], &waiting["state"]),
        (&json!("assigned"), &json!("queued"))
    );
    let figures = format!("/api/v1/businesses/{}/figures", shop.id);
    let now = app.get_ok(&figures, &shop.owner.access_token).await;
    assert_eq!(
        (&now["waiting_now"], &now["assigned_now"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(now["median_first_response_secs"], Value::Null);

    // The agent's first message is the case's first response.
    let conversation = served["conversation_id"].clone();
    let id = conversation.as_str().unwrap();
    app.send_message(&first, id, "Hello?").await;
    app.send_message(&agent, id, "Hello, I am here").await;
    crate::helpers::eventually("the first response is recorded", || async {
        let now = case(&app, &conversation, &agent).await;
        now["first_response_at"].is_string().then_some(())
    })
    .await;
    let resolved = app
        .post_json(
            &format!("/api/v1/conversations/{id}/case/resolve"),
            &json!({}),
            Some(&agent.access_token),
        )
        .await;
    assert_eq!(resolved.status(), StatusCode::OK);

    let week = app.get_ok(&figures, &shop.owner.access_token).await;
    assert_eq!(
        (&week["waiting_now"], &week["assigned_now"]),
        (&json!(0), &json!(1))
    );
    assert_eq!((&week["opened"], &week["resolved"]), (&json!(2), &json!(1)));
    for median in [
        "median_wait_secs",
        "median_first_response_secs",
        "median_resolution_secs",
    ] {
        assert!(
            week[median].as_f64().is_some_and(|s| s >= 0.0),
            "{median}: {week}"
        );
    }
    let refused = app.get(&figures, Some(&agent.access_token)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_agent_going_offline_mid_burst_is_assigned_nothing_after_and_nothing_is_lost() {
    let app = spawn_app().await;
    let twin = spawn_twin(&app).await;
    let other = twin.as_ref().unwrap_or(&app);
    let shop = shop(&app, "offline_shop").await;
    let agent = shop.agent(&app, "offline_agent", 50).await;
    let mut customers = Vec::new();
    for n in 0..24 {
        customers.push(app.register(&format!("offline_customer_{n}")).await);
    }
    // Customers arrive on both instances while the agent goes offline on the second.
    let opening = customers.iter().enumerate().map(|(n, customer)| {
        let instance = if n % 2 == 0 { &app } else { other };
        let shop = &shop;
        async move { shop.open(instance, customer).await }
    });
    let going = async {
        let response = other
            .put_json(
                &format!("/api/v1/businesses/{}/agents/me", shop.id),
                &json!({"status": "offline"}),
                &agent.access_token,
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    };
    let (opened, ()) = tokio::join!(join_all(opening), going);
    let mut all: Vec<String> = opened
        .iter()
        .map(|(status, case)| {
            assert_eq!(*status, StatusCode::CREATED);
            case["conversation_id"].as_str().unwrap().to_owned()
        })
        .collect();
    // Once offline, nothing more is theirs: a later case waits.
    let late = app.register("offline_late").await;
    let (_, waiting) = shop.open(other, &late).await;
    assert_eq!(waiting["state"], "queued");
    all.push(waiting["conversation_id"].as_str().unwrap().to_owned());
    let held = cases_of(&app, &shop.id, &agent).await;
    let queue = app
        .get_ok(
            &format!("/api/v1/businesses/{}/queue", shop.id),
            &agent.access_token,
        )
        .await;
    let queued: Vec<String> = queue["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["conversation_id"].as_str().unwrap().to_owned())
        .collect();
    // Every case is held or queued, never both, none missing.
    let mut seen: Vec<String> = held.iter().chain(&queued).cloned().collect();
    seen.sort();
    all.sort();
    assert_eq!(seen, all);

    // Back online: the whole queue is theirs, each case once.
    shop.availability(other, &agent, json!({"status": "available"}))
        .await;
    let mut held = cases_of(&app, &shop.id, &agent).await;
    held.sort();
    assert_eq!(held, all);
}
