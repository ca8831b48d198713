//! Business chat over time: business hours on a clock the test sets, escalation past the
//! first-response time, queue notices as the queue moves, and the teams' routing modes.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::graphql::data;
use crate::helpers::{ResponseExt, TestApp, TestUser, eventually, spawn_app_with};
use crate::shops::{Shop, case, shop};

/// An app whose business clock reads `clock` and whose pass runs often.
async fn app_on(clock: &Path) -> TestApp {
    let path = clock.to_string_lossy().into_owned();
    spawn_app_with(|s| {
        s.business.clock_file = path;
        s.business.tick_ms = 50;
    })
    .await
}

fn set_clock(clock: &Path, at: &str) {
    std::fs::write(clock, at).unwrap();
}

/// The conversation's messages as (kind, content), oldest first.
async fn said(app: &TestApp, conversation: &Value, user: &TestUser) -> Vec<(String, String)> {
    let id = conversation.as_str().unwrap();
    let history = app
        .get_ok(
            &format!("/api/v1/conversations/{id}/messages"),
            &user.access_token,
        )
        .await;
    history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let text = m["content"].as_str().unwrap_or_default();
            (m["kind"].as_str().unwrap().to_owned(), text.to_owned())
        })
        .collect()
}

async fn put_team(app: &TestApp, shop: &Shop, team: &str, body: Value) -> Value {
    let response = app
        .put_json(
            &format!("/api/v1/businesses/{}/teams/{team}", shop.id),
            &body,
            &shop.owner.access_token,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_closed_business_says_when_it_opens_and_routes_then() {
    let dir = tempfile::tempdir().unwrap();
    let clock = dir.path().join("now");
    // Saturday 11:00 in Paris.
    set_clock(&clock, "2030-01-05T10:00:00Z");
    let app = app_on(&clock).await;
    let shop = shop(&app, "hours_shop").await;
    let weekdays: Vec<Value> = ["mon", "tue", "wed", "thu", "fri"]
        .iter()
        .map(|d| json!({"day": d, "opens": "09:00", "closes": "17:00"}))
        .collect();
    let response = app
        .patch_json(
            &format!("/api/v1/businesses/{}", shop.id),
            &json!({"time_zone": "Europe/Paris", "hours": weekdays,
                    "holidays": ["2030-12-25"], "closed_reply": "Thanks for writing!"}),
            &shop.owner.access_token,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let profile: Value = response.json().await.unwrap();
    assert_eq!(profile["time_zone"], "Europe/Paris");
    assert_eq!(
        profile["hours"][4],
        json!({"day": "fri", "opens": "09:00", "closes": "17:00"})
    );
    assert_eq!(profile["holidays"], json!(["2030-12-25"]));

    // Bad hours change nothing.
    for bad in [
        json!({"time_zone": "Mars/Olympus"}),
        json!({"hours": [{"day": "mon", "opens": "17:00", "closes": "09:00"}]}),
        json!({"holidays": ["2030-02-30"]}),
    ] {
        let refused = app
            .patch_json(
                &format!("/api/v1/businesses/{}", shop.id),
                &bad,
                &shop.owner.access_token,
            )
            .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }

    // An agent is available, but the business is closed: the case waits.
    shop.agent(&app, "hours_agent", 3).await;
    let customer = app.register("hours_customer").await;
    let (status, opened) = shop.open(&app, &customer).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(opened["state"], "queued");
    let conversation = opened["conversation_id"].clone();
    // The request or the clock's pass, whichever claims it first, posts the notice.
    let closed = [(
        "system".to_owned(),
        "Thanks for writing! We open again on Monday 2030-01-07 at 09:00 (Europe/Paris)."
            .to_owned(),
    )];
    eventually("the closed notice is posted", || async {
        (said(&app, &conversation, &customer).await == closed).then_some(())
    })
    .await;

    // Monday 09:00:30 in Paris: the next pass routes it.
    set_clock(&clock, "2030-01-07T08:00:30Z");
    eventually("the case is assigned at the opening", || async {
        let now = case(&app, &conversation, &customer).await;
        (now["state"] == "assigned").then_some(())
    })
    .await;
    // The notice follows the assignment's commit.
    let history = eventually("the customer is told an agent joined", || async {
        let now = said(&app, &conversation, &customer).await;
        (now.len() == 2).then_some(now)
    })
    .await;
    assert_eq!(
        history[1].1,
        "An agent of hours_shop Ltd joined the conversation."
    );
}

#[tokio::test]
async fn unanswered_cases_are_escalated_and_the_supervisors_told() {
    let dir = tempfile::tempdir().unwrap();
    let clock = dir.path().join("now");
    set_clock(&clock, "2030-01-07T10:00:00Z");
    let app = app_on(&clock).await;
    let shop = shop(&app, "late_shop").await;
    let first = shop.agent(&app, "late_first", 2).await;
    // A second team takes what the first leaves unanswered.
    let seniors = app
        .post_json(
            &format!("/api/v1/businesses/{}/teams", shop.id),
            &json!({"name": "Seniors"}),
            Some(&shop.owner.access_token),
        )
        .await;
    assert_eq!(seniors.status(), StatusCode::CREATED);
    let seniors = seniors.json::<Value>().await.unwrap()["id"].clone();
    let team = put_team(
        &app,
        &shop,
        &shop.team,
        json!({"name": "General", "agent_ids": [shop.owner.id, first.id],
               "first_response_secs": 120, "escalate_to": seniors}),
    )
    .await;
    assert_eq!(team["first_response_secs"], 120);
    assert_eq!(team["escalate_to"], seniors);

    let mut owner_socket = app.ws(&shop.owner.access_token).await;
    let answered_customer = app.register("late_answered").await;
    let ignored_customer = app.register("late_ignored").await;
    let (_, answered) = shop.open(&app, &answered_customer).await;
    let (_, ignored) = shop.open(&app, &ignored_customer).await;
    assert_eq!(answered["agent_id"], first.id.as_str());
    assert_eq!(ignored["agent_id"], first.id.as_str());
    let answered = answered["conversation_id"].clone();
    let ignored = ignored["conversation_id"].clone();
    app.send_message(&first, answered.as_str().unwrap(), "Hi!")
        .await;
    eventually("the reply is noted", || async {
        let now = case(&app, &answered, &first).await;
        now["first_response_at"].is_string().then_some(())
    })
    .await;

    // The owner oversees the case without being in it; outsiders see nothing.
    let path = format!(
        "/api/v1/conversations/{}/case/messages",
        answered.as_str().unwrap()
    );
    let overseen = app.get_ok(&path, &shop.owner.access_token).await;
    let last = overseen["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (&last["kind"], &last["content"]),
        (&json!("text"), &json!("Hi!"))
    );
    let own = format!(
        "/api/v1/conversations/{}/messages",
        answered.as_str().unwrap()
    );
    let not_in_it = app.get(&own, Some(&shop.owner.access_token)).await;
    assert_eq!(not_in_it.status(), StatusCode::NOT_FOUND);
    let outsider = app.get(&path, Some(&ignored_customer.access_token)).await;
    assert_eq!(outsider.problem().await.code, "case_not_found");

    // Three minutes on: the unanswered case moves to the seniors' queue, ahead of others.
    set_clock(&clock, "2030-01-07T10:03:00Z");
    let escalated = eventually("the unanswered case is escalated", || async {
        let now = case(&app, &ignored, &ignored_customer).await;
        now["escalated_at"].is_string().then_some(now)
    })
    .await;
    assert_eq!(escalated["team_id"], seniors);
    assert_eq!(escalated["priority"], 1);
    assert_eq!(escalated["state"], "queued");
    assert_eq!(escalated["agent_id"], Value::Null);
    let told = loop {
        let frame = owner_socket.expect("case.updated").await;
        if frame["data"]["escalated"] == true {
            break frame;
        }
    };
    assert_eq!(told["data"]["conversation_id"], ignored);
    let kept = case(&app, &answered, &first).await;
    assert_eq!(
        (&kept["escalated_at"], &kept["priority"]),
        (&Value::Null, &json!(0))
    );
    assert_eq!(kept["state"], "assigned");
}

#[tokio::test]
async fn queue_notices_move_with_the_queue_and_cannot_be_changed() {
    let dir = tempfile::tempdir().unwrap();
    let clock = dir.path().join("now");
    set_clock(&clock, "2030-01-07T10:00:00Z");
    let app = app_on(&clock).await;
    let shop = shop(&app, "notice_shop").await;
    let agent = shop.agent(&app, "notice_agent", 1).await;
    shop.availability(&app, &agent, json!({"status": "away"}))
        .await;
    let mut customers = Vec::new();
    let mut cases = Vec::new();
    for n in 0..2 {
        let customer = app.register(&format!("notice_customer_{n}")).await;
        let (_, opened) = shop.open(&app, &customer).await;
        cases.push(opened["conversation_id"].clone());
        customers.push(customer);
    }
    // Told by the request or by a pass, whichever came first.
    let second = eventually("the second customer is told their place", || async {
        let now = said(&app, &cases[1], &customers[1]).await;
        (!now.is_empty()).then_some(now)
    })
    .await;
    assert_eq!(
        second,
        [(
            "system".to_owned(),
            "You are number 2 in the queue. An agent will be with you as soon as possible."
                .to_owned()
        )]
    );

    // Nobody may change the server's words.
    let id = cases[1].as_str().unwrap();
    let history = app
        .get_ok(
            &format!("/api/v1/conversations/{id}/messages"),
            &customers[1].access_token,
        )
        .await;
    let notice = history["messages"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/conversations/{id}/messages/{notice}");
    let edit = app
        .patch_json(
            &path,
            &json!({"content": "I am first"}),
            &customers[1].access_token,
        )
        .await;
    assert_eq!(edit.problem().await.code, "system_message");
    let delete = app.delete(&path, Some(&customers[1].access_token)).await;
    assert_eq!(delete.problem().await.code, "system_message");

    // The head is assigned: the same notice now says first, with the pace seen so far.
    shop.availability(&app, &agent, json!({"status": "available"}))
        .await;
    let moved = eventually("the notice moves up", || async {
        let now = said(&app, &cases[1], &customers[1]).await;
        (now[0].1.starts_with("You are number 1")).then_some(now)
    })
    .await;
    assert_eq!(moved.len(), 1);
    assert_eq!(
        moved[0].1,
        "You are number 1 in the queue. Expected wait: about 60 minutes."
    );
}

#[tokio::test]
async fn round_robin_teams_take_turns_whatever_the_load() {
    let dir = tempfile::tempdir().unwrap();
    let clock = dir.path().join("now");
    set_clock(&clock, "2030-01-07T10:00:00Z");
    let app = app_on(&clock).await;
    let shop = shop(&app, "turns_shop").await;
    let a = shop.agent(&app, "turns_a", 5).await;
    let b = shop.agent(&app, "turns_b", 5).await;
    put_team(
        &app,
        &shop,
        &shop.team,
        json!({"name": "General", "agent_ids": [a.id, b.id], "routing": "round_robin"}),
    )
    .await;
    let mut given = Vec::new();
    for n in 0..2 {
        let customer = app.register(&format!("turns_customer_{n}")).await;
        let (_, opened) = shop.open(&app, &customer).await;
        given.push((
            opened["agent_id"].clone(),
            opened["conversation_id"].clone(),
        ));
    }
    assert_ne!(given[0].0, given[1].0);
    // The second agent's case is resolved: they are the least busy now, yet the first
    // agent's turn has come.
    let (second_agent, second_case) = &given[1];
    let second = if *second_agent == json!(a.id) { &a } else { &b };
    let id = second_case.as_str().unwrap();
    let resolved = app
        .post_json(
            &format!("/api/v1/conversations/{id}/case/resolve"),
            &json!({}),
            Some(&second.access_token),
        )
        .await;
    assert_eq!(resolved.status(), StatusCode::OK);
    let customer = app.register("turns_customer_2").await;
    let (_, third) = shop.open(&app, &customer).await;
    assert_eq!(third["agent_id"], given[0].0);

    // The "agent joined" notices notify nobody: the agent, offline, hears only of the
    // customer's own message that follows them.
    let first = if given[0].0 == json!(a.id) { &a } else { &b };
    let conversation = third["conversation_id"].as_str().unwrap();
    let sent = app
        .send_message(&customer, conversation, "Are you there?")
        .await;
    // Events are handled in order: once the later message is told, the notice was passed.
    let about = eventually("the agent hears of the customer's message", || async {
        let list = app
            .get_ok("/api/v1/notifications", &first.access_token)
            .await;
        let about: Vec<Value> = list["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["conversation_id"] == conversation && n["kind"] == "message")
            .cloned()
            .collect();
        about
            .iter()
            .any(|n| n["message_id"] == sent["id"])
            .then_some(about)
    })
    .await;
    assert_eq!(about.len(), 1, "{about:?}");
}

#[tokio::test]
async fn agents_are_kept_from_customers_unless_the_business_shows_names() {
    let dir = tempfile::tempdir().unwrap();
    let clock = dir.path().join("now");
    set_clock(&clock, "2030-01-07T10:00:00Z");
    let app = app_on(&clock).await;
    let shop = shop(&app, "named_shop").await;
    let agent = shop.agent(&app, "named_agent", 5).await;
    let customer = app.register("named_customer").await;
    let stranger = app.register("named_stranger").await;
    let profile = format!("/api/v1/users/{}", agent.id);
    let (_, opened) = shop.open(&app, &customer).await;
    assert_eq!(opened["agent_id"], agent.id.as_str());
    let hidden = app.get(&profile, Some(&customer.access_token)).await;
    assert_eq!(hidden.problem().await.code, "user_not_found");
    // Nor beside the agent's messages over GraphQL; the customer's own name still shows.
    let conversation = opened["conversation_id"].as_str().unwrap();
    app.send_message(&agent, conversation, "Hello!").await;
    app.send_message(&customer, conversation, "Hi").await;
    let query = "query($c: UUID!) { conversation(id: $c) { messages(last: 10) { edges { node { kind content sender { username } } } } } }";
    let seen = data(&app, &customer, query, json!({"c": conversation})).await;
    let senders: Vec<(&Value, &Value)> = seen["conversation"]["messages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["kind"] == "TEXT")
        .map(|e| (&e["node"]["content"], &e["node"]["sender"]))
        .collect();
    assert_eq!(
        senders,
        [
            (&json!("Hello!"), &Value::Null),
            (&json!("Hi"), &json!({"username": "named_customer"}))
        ]
    );
    // Anyone else still sees the agent, and the agent sees the customer.
    app.get_ok(&profile, &stranger.access_token).await;
    app.get_ok(
        &format!("/api/v1/users/{}", customer.id),
        &agent.access_token,
    )
    .await;

    let response = app
        .patch_json(
            &format!("/api/v1/businesses/{}", shop.id),
            &json!({"show_agent_names": true}),
            &shop.owner.access_token,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let shown = app.get_ok(&profile, &customer.access_token).await;
    assert_eq!(shown["id"], agent.id.as_str());
    // A case assigned from now on names the agent.
    let other = app.register("named_customer_2").await;
    let (_, opened) = shop.open(&app, &other).await;
    let conversation = opened["conversation_id"].clone();
    let told = eventually("the customer is told who joined", || async {
        let now = said(&app, &conversation, &other).await;
        now.into_iter().find(|(kind, _)| kind == "system")
    })
    .await;
    assert_eq!(
        told.1,
        format!(
            "{} joined the conversation.",
            shown["display_name"].as_str().unwrap()
        )
    );
}
