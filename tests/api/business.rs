//! Business chat over REST: businesses, staff and teams, and cases routed to agents.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ResponseExt, TestApp, TestUser, eventually, spawn_app};
use crate::shops::{Shop, case, shop};

#[tokio::test]
async fn a_business_has_a_public_profile_a_staff_and_teams() {
    let app = spawn_app().await;
    let shop = shop(&app, "acme").await;
    let stranger = app.register("stranger").await;

    let taken = app
        .post_json(
            "/api/v1/businesses",
            &json!({"handle": "acme", "name": "Another"}),
            Some(&stranger.access_token),
        )
        .await;
    assert_eq!(taken.problem().await.code, "handle_taken");
    let invalid = app
        .post_json(
            "/api/v1/businesses",
            &json!({"handle": "a-b", "name": " "}),
            Some(&stranger.access_token),
        )
        .await;
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.problem().await.fields, ["handle", "name"]);

    // Anyone finds and reads the profile; only the staff sees inside.
    let found = app
        .get_ok("/api/v1/businesses?q=CME", &stranger.access_token)
        .await;
    assert_eq!(found["businesses"][0]["handle"], "acme");
    let profile = app
        .get_ok(
            &format!("/api/v1/businesses/{}", shop.id),
            &stranger.access_token,
        )
        .await;
    assert_eq!(profile["name"], "acme Ltd");
    let members = format!("/api/v1/businesses/{}/members", shop.id);
    let hidden = app.get(&members, Some(&stranger.access_token)).await;
    assert_eq!(hidden.problem().await.code, "business_not_found");

    // Supervisors manage agents, owners manage supervisors.
    let supervisor = app.register("super").await;
    shop.hire(&app, &supervisor, "supervisor").await;
    let promote = app
        .put_json(
            &format!("/api/v1/businesses/{}/members/{}", shop.id, stranger.id),
            &json!({"role": "supervisor"}),
            &supervisor.access_token,
        )
        .await;
    assert_eq!(promote.problem().await.code, "owner_only");
    let hire = app
        .put_json(
            &format!("/api/v1/businesses/{}/members/{}", shop.id, stranger.id),
            &json!({"role": "agent"}),
            &supervisor.access_token,
        )
        .await;
    assert_eq!(hire.status(), StatusCode::OK);
    let staff = app.get_ok(&members, &stranger.access_token).await;
    let roles: Vec<&str> = staff["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles.len(), 3);
    assert!(roles.contains(&"owner") && roles.contains(&"supervisor") && roles.contains(&"agent"));
    let step_down = app
        .put_json(
            &format!("/api/v1/businesses/{}/members/{}", shop.id, shop.owner.id),
            &json!({"role": "agent"}),
            &shop.owner.access_token,
        )
        .await;
    assert_eq!(step_down.problem().await.code, "last_owner");

    // Teams: unique names, agents from the staff only.
    let teams = format!("/api/v1/businesses/{}/teams", shop.id);
    let billing = app
        .post_json(
            &teams,
            &json!({"name": "Billing", "agent_ids": [stranger.id]}),
            Some(&supervisor.access_token),
        )
        .await;
    assert_eq!(billing.status(), StatusCode::CREATED);
    let again = app
        .post_json(
            &teams,
            &json!({"name": "Billing"}),
            Some(&supervisor.access_token),
        )
        .await;
    assert_eq!(again.problem().await.code, "team_name_taken");
    let outsider = app.register("outsider").await;
    let foreign = app
        .post_json(
            &teams,
            &json!({"name": "Sales", "agent_ids": [outsider.id]}),
            Some(&supervisor.access_token),
        )
        .await;
    assert_eq!(foreign.problem().await.fields, ["agent_ids"]);
    let by_agent = app
        .post_json(
            &teams,
            &json!({"name": "Sales"}),
            Some(&stranger.access_token),
        )
        .await;
    assert_eq!(by_agent.problem().await.code, "supervisor_only");
    let listed = app.get_ok(&teams, &stranger.access_token).await;
    assert_eq!(listed["teams"][1]["agent_ids"], json!([stranger.id]));
}

#[tokio::test]
async fn cases_wait_first_in_first_out_until_an_agent_has_room() {
    let app = spawn_app().await;
    let shop = shop(&app, "queue_shop").await;
    let agent = app.register("agent_a").await;
    shop.hire(&app, &agent, "agent").await;
    let response = app
        .put_json(
            &format!("/api/v1/businesses/{}/teams/{}", shop.id, shop.team),
            &json!({"name": "General", "agent_ids": [agent.id]}),
            &shop.owner.access_token,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    // Nobody is available: every case queues, in order of arrival.
    let mut customers = Vec::new();
    let mut cases = Vec::new();
    for n in 1..=3 {
        let customer = app.register(&format!("customer{n}")).await;
        let (status, case) = shop.open(&app, &customer).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(case["state"], "queued");
        assert_eq!(case["position"], n);
        cases.push(case["conversation_id"].clone());
        customers.push(customer);
    }
    let queue = app
        .get_ok(
            &format!("/api/v1/businesses/{}/queue", shop.id),
            &agent.access_token,
        )
        .await;
    let queued: Vec<&Value> = queue["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["conversation_id"])
        .collect();
    assert_eq!(queued, cases.iter().collect::<Vec<_>>());

    // Coming online takes the head of the queue; the others move up.
    shop.availability(&app, &agent, json!({"status": "available", "capacity": 1}))
        .await;
    let first = case(&app, &cases[0], &customers[0]).await;
    assert_eq!(first["state"], "assigned");
    assert_eq!(first["agent_id"], agent.id.as_str());
    assert_eq!(case(&app, &cases[1], &customers[1]).await["position"], 1);
    let inbox = app
        .get_ok(
            &format!("/api/v1/businesses/{}/inbox", shop.id),
            &agent.access_token,
        )
        .await;
    assert_eq!(inbox["cases"][0]["conversation_id"], cases[0]);

    // The agent is in the conversation now, and answers once the customer has been told
    // (the notice follows the assignment's commit).
    let id = cases[0].as_str().unwrap();
    eventually("the customer is told an agent joined", || async {
        let history = app
            .get_ok(
                &format!("/api/v1/conversations/{id}/messages"),
                &customers[0].access_token,
            )
            .await;
        (history["messages"].as_array().unwrap().len() == 2).then_some(())
    })
    .await;
    let conversation = app
        .get_ok(&format!("/api/v1/conversations/{id}"), &agent.access_token)
        .await;
    assert_eq!(conversation["kind"], "business");
    assert_eq!(conversation["title"], "queue_shop Ltd");
    app.send_message(&agent, id, "How can I help?").await;
    let history = app
        .get_ok(
            &format!("/api/v1/conversations/{id}/messages"),
            &customers[0].access_token,
        )
        .await;
    // What routing did is in the history too, as system messages with seqs of their own.
    let said: Vec<(&Value, &Value)> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (&m["kind"], &m["content"]))
        .collect();
    assert_eq!(
        said,
        [
            (
                &json!("system"),
                &json!(
                    "You are number 1 in the queue. An agent will be with you as soon as possible."
                )
            ),
            (
                &json!("system"),
                &json!("An agent of queue_shop Ltd joined the conversation.")
            ),
            (&json!("text"), &json!("How can I help?")),
        ]
    );

    // Resolving frees the room: the next case is assigned at once.
    let resolve = format!("/api/v1/conversations/{id}/case/resolve");
    let refused = app
        .post_json(&resolve, &json!({}), Some(&customers[0].access_token))
        .await;
    assert_eq!(refused.problem().await.code, "not_your_case");
    let resolved = app
        .post_json(&resolve, &json!({}), Some(&agent.access_token))
        .await;
    assert_eq!(resolved.json::<Value>().await.unwrap()["state"], "resolved");
    assert_eq!(
        case(&app, &cases[1], &customers[1]).await["state"],
        "assigned"
    );
    let twice = app
        .post_json(&resolve, &json!({}), Some(&agent.access_token))
        .await;
    assert_eq!(twice.problem().await.code, "case_not_open");

    // Raising the capacity takes the next one.
    shop.availability(&app, &agent, json!({"capacity": 2}))
        .await;
    assert_eq!(
        case(&app, &cases[2], &customers[2]).await["state"],
        "assigned"
    );

    // The first customer comes back: the same conversation, reopened and queued (the agent is
    // full), then assigned when room frees.
    let (status, reopened) = shop.open(&app, &customers[0]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reopened["conversation_id"], cases[0]);
    assert_eq!(reopened["state"], "queued");
    assert_eq!(reopened["position"], 1);
    let second = cases[1].as_str().unwrap();
    let resolved = app
        .post_json(
            &format!("/api/v1/conversations/{second}/case/resolve"),
            &json!({}),
            Some(&agent.access_token),
        )
        .await;
    assert_eq!(resolved.status(), StatusCode::OK);
    assert_eq!(
        case(&app, &cases[0], &customers[0]).await["state"],
        "assigned"
    );
}

#[tokio::test]
async fn the_least_busy_agent_gets_the_case_and_transfers_move_it() {
    let app = spawn_app().await;
    let shop = shop(&app, "busy_shop").await;
    let ann = shop.agent(&app, "ann", 5).await;
    let bob = shop.agent(&app, "bob", 5).await;

    let mut assigned = Vec::new();
    let mut customers = Vec::new();
    for n in 1..=4 {
        let customer = app.register(&format!("buyer{n}")).await;
        let (_, case) = shop.open(&app, &customer).await;
        assert_eq!(case["state"], "assigned");
        assigned.push(case);
        customers.push(customer);
    }
    let count = |agent: &TestUser| {
        assigned
            .iter()
            .filter(|c| c["agent_id"] == agent.id.as_str())
            .count()
    };
    assert_eq!((count(&ann), count(&bob)), (2, 2), "{assigned:?}");

    // To a person: they join, the previous agent leaves the conversation.
    let id = assigned[0]["conversation_id"].as_str().unwrap();
    let from = if assigned[0]["agent_id"] == ann.id.as_str() {
        &ann
    } else {
        &bob
    };
    let to = if from.id == ann.id { &bob } else { &ann };
    let transfer = format!("/api/v1/conversations/{id}/case/transfer");
    let moved = app
        .post_json(
            &transfer,
            &json!({"agent_id": to.id}),
            Some(&from.access_token),
        )
        .await;
    assert_eq!(moved.status(), StatusCode::OK);
    assert_eq!(
        moved.json::<Value>().await.unwrap()["agent_id"],
        to.id.as_str()
    );
    let gone = app
        .get(
            &format!("/api/v1/conversations/{id}"),
            Some(&from.access_token),
        )
        .await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let again = app
        .post_json(
            &transfer,
            &json!({"agent_id": to.id}),
            Some(&from.access_token),
        )
        .await;
    assert_eq!(again.problem().await.code, "not_your_case");

    // To a team: it queues there (nobody works in it yet).
    let billing = app
        .post_json(
            &format!("/api/v1/businesses/{}/teams", shop.id),
            &json!({"name": "Billing"}),
            Some(&shop.owner.access_token),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    let queued = app
        .post_json(
            &transfer,
            &json!({"team_id": billing["id"]}),
            Some(&to.access_token),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(queued["state"], "queued");
    assert_eq!(queued["team_id"], billing["id"]);
    assert_eq!(queued["agent_id"], Value::Null);
    let neither = app
        .post_json(&transfer, &json!({}), Some(&shop.owner.access_token))
        .await;
    assert_eq!(neither.problem().await.fields, ["agent_id"]);
}

#[tokio::test]
async fn a_case_is_seen_only_by_its_customer_its_agent_and_supervisors() {
    let app = spawn_app().await;
    let shop = shop(&app, "private_shop").await;
    let other = shop_of_another(&app).await;
    let agent = shop.agent(&app, "agent_p", 1).await;
    let idle = shop.agent(&app, "agent_q", 1).await;
    let customer = app.register("client").await;
    let (_, opened) = shop.open(&app, &customer).await;
    let id = opened["conversation_id"].as_str().unwrap();
    let url = format!("/api/v1/conversations/{id}/case");

    for (who, visible) in [
        (&customer, true),
        (&shop.owner, true),
        (&other.owner, false),
    ] {
        let response = app.get(&url, Some(&who.access_token)).await;
        assert_eq!(response.status().is_success(), visible, "{}", who.username);
    }
    let seen_by_agent = app.get(&url, Some(&agent.access_token)).await.status();
    let seen_by_idle = app.get(&url, Some(&idle.access_token)).await.status();
    assert_eq!(
        [seen_by_agent, seen_by_idle]
            .iter()
            .filter(|s| s.is_success())
            .count(),
        1,
        "only the assigned agent of the two"
    );

    let foreign_queue = app
        .get(
            &format!("/api/v1/businesses/{}/queue", shop.id),
            Some(&other.owner.access_token),
        )
        .await;
    assert_eq!(foreign_queue.problem().await.code, "business_not_found");
    let peek = app
        .get(
            &format!("/api/v1/businesses/{}/inbox?agent_id={}", shop.id, agent.id),
            Some(&idle.access_token),
        )
        .await;
    assert_eq!(peek.problem().await.code, "supervisor_only");
    let (status, _) = shop.open(&app, &agent).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let leave = app
        .delete(
            &format!("/api/v1/conversations/{id}/participants/{}", customer.id),
            Some(&customer.access_token),
        )
        .await;
    assert_eq!(leave.problem().await.code, "business_chat_is_routed");
}

async fn shop_of_another(app: &TestApp) -> Shop {
    shop(app, "other_shop").await
}
