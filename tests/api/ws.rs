use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{eventually, spawn_app, spawn_app_with, spawn_twin};

pub const SHORT: Duration = Duration::from_millis(700);

#[tokio::test]
async fn a_message_reaches_every_device_of_every_member_and_no_one_else() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let eve = app.register("eve").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let mut alice_ws = app.ws(&alice.access_token).await;
    let mut bob_phone = app.ws(&bob.access_token).await;
    let mut bob_laptop = app.ws(&bob.access_token).await;
    let mut eve_ws = app.ws(&eve.access_token).await;

    let body = json!({"content": "hello all", "client_message_id": "a-1"});
    app.post_json(
        &format!("/api/v1/conversations/{group}/messages"),
        &body,
        Some(&alice.access_token),
    )
    .await;

    for ws in [&mut alice_ws, &mut bob_phone, &mut bob_laptop] {
        let event = ws.expect("message.created").await;
        assert_eq!(event["data"]["content"], "hello all");
        assert_eq!(event["data"]["seq"], 1);
        assert_eq!(event["data"]["client_message_id"], "a-1");
        assert_eq!(event["data"]["conversation_id"], group.as_str());
    }
    eve_ws.assert_no_event("message.created", SHORT).await;
}

#[tokio::test]
async fn removed_members_stop_receiving() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let mut bob_ws = app.ws(&bob.access_token).await;
    app.delete(
        &format!("/api/v1/conversations/{group}/participants/{}", bob.id),
        Some(&alice.access_token),
    )
    .await;
    let removed = bob_ws.expect("participant.removed").await;
    assert_eq!(removed["data"]["user_id"], bob.id.as_str());

    app.send_message(&alice, &group, "after you left").await;

    bob_ws.assert_no_event("message.created", SHORT).await;
}

#[tokio::test]
async fn sending_over_the_socket_is_idempotent_like_rest() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let mut alice_ws = app.ws(&alice.access_token).await;
    let mut bob_ws = app.ws(&bob.access_token).await;
    let send = json!({"type": "message.send", "conversation_id": group, "content": "via ws", "client_message_id": "ws-1"});

    let first = alice_ws.command(send.clone()).await;
    let retry = alice_ws.command(send).await;

    assert_eq!(first["type"], "ack", "{first}");
    assert_eq!(first["data"]["created"], true);
    assert_eq!(retry["data"]["created"], false);
    assert_eq!(
        retry["data"]["message"]["id"],
        first["data"]["message"]["id"]
    );
    assert_eq!(
        bob_ws.expect("message.created").await["data"]["content"],
        "via ws"
    );
    bob_ws.assert_no_event("message.created", SHORT).await;
    let history = app
        .get_ok(
            &format!("/api/v1/conversations/{group}/messages"),
            &bob.access_token,
        )
        .await;
    assert_eq!(history["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_the_connection_stays_open() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut ws = app.ws(&alice.access_token).await;

    ws.send_raw(Message::text("{not json")).await;
    assert_eq!(ws.expect("error").await["code"], "invalid_json");
    ws.send_raw(Message::binary(vec![1, 2, 3])).await;
    assert_eq!(ws.expect("error").await["code"], "unsupported_frame");
    let unknown = ws.command(json!({"type": "launch.rockets"})).await;
    assert_eq!(unknown["code"], "unknown_type");
    let missing = ws
        .command(json!({"type": "message.send", "content": "no conversation"}))
        .await;
    assert_eq!(missing["code"], "invalid_command");
    let empty = ws.command(json!({"type": "message.send", "conversation_id": uuid::Uuid::now_v7(), "content": " "})).await;
    assert_eq!(empty["code"], "validation_failed");
    let outsider = ws.command(json!({"type": "message.send", "conversation_id": uuid::Uuid::now_v7(), "content": "hi"})).await;
    assert_eq!(outsider["code"], "conversation_not_found");
    let bad_status = ws
        .command(json!({"type": "presence.set", "status": "invisible"}))
        .await;
    assert_eq!(bad_status["code"], "invalid_command");

    let pong = ws.command(json!({"type": "ping"})).await;
    assert_eq!(pong["type"], "ack");
    assert_eq!(pong["data"]["pong"], true);
}

#[tokio::test]
async fn a_command_in_continuation_frames_is_joined_and_an_oversized_frame_ends_the_connection() {
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut ws = app.ws(&alice.access_token).await;

    let command = json!({"type": "ping", "ref": "in parts"}).to_string();
    let (first, rest) = command.split_at(10);
    let (middle, last) = rest.split_at(5);
    for (part, opcode, last) in [
        (first, OpCode::Data(Data::Text), false),
        (middle, OpCode::Data(Data::Continue), false),
        (last, OpCode::Data(Data::Continue), true),
    ] {
        let frame = Frame::message(part.as_bytes().to_vec(), opcode, last);
        ws.send_raw(Message::Frame(frame)).await;
    }
    let pong = ws.reply(json!("in parts")).await;
    assert_eq!(pong["data"]["pong"], true);

    ws.send_raw(Message::text("x".repeat(64 * 1024 + 1))).await;
    assert!(ws.ended_within(Duration::from_secs(10)).await);
}

#[tokio::test]
async fn browsers_authenticate_with_a_first_frame_and_anything_else_is_closed_with_4001() {
    let app = spawn_app_with(|s| s.realtime.auth_timeout_secs = 1).await;
    let alice = app.register("alice").await;

    let mut browser = app.ws_raw(None).await;
    browser
        .send_json(json!({"type": "auth", "ref": "a1", "token": alice.access_token}))
        .await;
    let ack = browser.reply(json!("a1")).await;
    assert_eq!(ack["type"], "ack");
    assert_eq!(ack["data"]["user_id"], alice.id.as_str());
    let ready = browser.expect("ready").await;
    assert_eq!(ready["data"]["user_id"], alice.id.as_str());

    let mut forger = app.ws_raw(None).await;
    forger
        .send_json(json!({"type": "auth", "token": "forged"}))
        .await;
    assert_eq!(
        forger.closed_within(Duration::from_secs(3)).await,
        Some(4001)
    );

    let mut rude = app.ws_raw(None).await;
    rude.send_json(json!({"type": "ping"})).await;
    assert_eq!(rude.closed_within(Duration::from_secs(3)).await, Some(4001));

    let mut silent = app.ws_raw(None).await;
    assert_eq!(
        silent.closed_within(Duration::from_secs(4)).await,
        Some(4001),
        "closed after the auth timeout"
    );

    let bad_header = app
        .client
        .get(app.url("/api/v1/ws"))
        .header("authorization", "Bearer forged")
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_header.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn typing_reaches_others_not_the_typist_and_expires() {
    let app = spawn_app_with(|s| s.realtime.typing_ttl_secs = 1).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let mut alice_ws = app.ws(&alice.access_token).await;
    let mut bob_ws = app.ws(&bob.access_token).await;

    let ack = alice_ws
        .command(json!({"type": "typing.start", "conversation_id": group}))
        .await;
    assert_eq!(ack["type"], "ack");
    let started = bob_ws.expect("typing").await;
    assert_eq!(
        (
            started["data"]["user_id"].as_str(),
            started["data"]["typing"].as_bool()
        ),
        (Some(alice.id.as_str()), Some(true))
    );
    let expired = bob_ws
        .next_event_within("typing", Duration::from_secs(60))
        .await
        .expect("typing expiry");
    assert_eq!(expired["data"]["typing"], false);
    alice_ws.assert_no_event("typing", SHORT).await;

    alice_ws
        .command(json!({"type": "typing.start", "conversation_id": group}))
        .await;
    bob_ws.expect("typing").await;
    alice_ws
        .command(json!({"type": "typing.stop", "conversation_id": group}))
        .await;
    assert_eq!(bob_ws.expect("typing").await["data"]["typing"], false);
    let outsider = bob_ws
        .command(json!({"type": "typing.start", "conversation_id": uuid::Uuid::now_v7()}))
        .await;
    assert_eq!(outsider["code"], "conversation_not_found");
    let carol = app.register("carol").await;
    let mut carol_ws = app.ws(&carol.access_token).await;
    let not_in_it = carol_ws
        .command(json!({"type": "typing.start", "conversation_id": group}))
        .await;
    assert_eq!(not_in_it["code"], "conversation_not_found");
    bob_ws.assert_no_event("typing", SHORT).await;
}

#[tokio::test]
async fn presence_goes_online_and_offline_for_those_allowed_to_see_it() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let stranger = app.register("stranger").await;
    app.create_group(&alice, "g", &[&bob, &carol]).await;
    app.patch_json(
        "/api/v1/users/me/settings",
        &json!({"privacy": {"presence": "nobody"}}),
        &carol.access_token,
    )
    .await;
    let mut alice_ws = app.ws(&alice.access_token).await;
    let mut stranger_ws = app.ws(&stranger.access_token).await;

    let bob_ws = app.ws(&bob.access_token).await;
    let online = alice_ws.expect("presence").await;
    assert_eq!(
        (
            online["data"]["user_id"].as_str(),
            online["data"]["status"].as_str()
        ),
        (Some(bob.id.as_str()), Some("online"))
    );
    let second_device = app.ws(&bob.access_token).await;
    alice_ws.assert_no_event("presence", SHORT).await;

    let carol_ws = app.ws(&carol.access_token).await;
    alice_ws.assert_no_event("presence", SHORT).await;
    let seen = alice_ws
        .command(json!({"type": "presence.query", "user_ids": [bob.id, carol.id]}))
        .await;
    let statuses: Vec<&str> = seen["data"]["presence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["online", "offline"], "carol hides her presence");

    bob_ws.close().await;
    alice_ws.assert_no_event("presence", SHORT).await;
    second_device.close().await;
    let offline = alice_ws.expect("presence").await;
    assert_eq!(offline["data"]["status"], "offline");
    assert!(offline["data"]["last_seen_at"].is_string());
    stranger_ws.assert_no_event("presence", SHORT).await;
    carol_ws.close().await;
}

#[tokio::test]
async fn presence_is_hidden_from_blocked_users() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    app.create_group(&alice, "g", &[&bob]).await;
    app.send(
        Method::PUT,
        &format!("/api/v1/users/{}/block", alice.id),
        None,
        &bob.access_token,
    )
    .await;
    let mut alice_ws = app.ws(&alice.access_token).await;

    let _bob_ws = app.ws(&bob.access_token).await;

    alice_ws.assert_no_event("presence", SHORT).await;
    let seen = alice_ws
        .command(json!({"type": "presence.query", "user_ids": [bob.id]}))
        .await;
    assert_eq!(seen["data"]["presence"][0]["status"], "offline");
}

#[tokio::test]
async fn away_is_announced_and_commands_are_rate_limited() {
    let app = spawn_app_with(|s| {
        s.realtime.commands_per_second = 1;
        s.realtime.command_burst = 3;
    })
    .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    app.create_group(&alice, "g", &[&bob]).await;
    let mut alice_ws = app.ws(&alice.access_token).await;
    let mut bob_ws = app.ws(&bob.access_token).await;
    alice_ws.expect("presence").await;

    bob_ws
        .command(json!({"type": "presence.set", "status": "away"}))
        .await;
    assert_eq!(alice_ws.expect("presence").await["data"]["status"], "away");

    let mut codes = Vec::new();
    for _ in 0..6 {
        let reply = bob_ws.command(json!({"type": "ping"})).await;
        codes.push(reply["code"].as_str().unwrap_or("ok").to_owned());
    }
    assert!(codes.iter().any(|c| c == "rate_limited"), "{codes:?}");
    assert_eq!(codes[0], "ok");
}

#[tokio::test]
async fn receiving_a_message_moves_the_delivered_marker() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let mut bob_ws = app.ws(&bob.access_token).await;
    let message = app.send_message(&alice, &group, "did you get this?").await;
    bob_ws.expect("message.created").await;

    let path = format!(
        "/api/v1/conversations/{group}/messages/{}/receipts",
        message["id"].as_str().unwrap()
    );
    let receipts = eventually("the delivered marker moves", || async {
        let receipts = app.get_ok(&path, &alice.access_token).await;
        receipts["receipts"][0]["delivered_at"]
            .is_string()
            .then_some(receipts)
    })
    .await;
    assert_eq!(receipts["receipts"][0]["user_id"], bob.id.as_str());
    assert_eq!(receipts["receipts"][0]["read_at"], Value::Null);
}

#[tokio::test]
async fn the_sender_hears_when_each_member_has_a_message_delivered() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let group = app.create_group(&alice, "g", &[&bob, &carol]).await;
    let mut alice_ws = app.ws(&alice.access_token).await;
    let mut bob_ws = app.ws(&bob.access_token).await;
    let mut carol_ws = app.ws(&carol.access_token).await;
    app.send_message(&alice, &group, "one").await;
    bob_ws.expect("message.created").await;
    carol_ws.expect("message.created").await;

    let mut who = Vec::new();
    for _ in 0..2 {
        let event = alice_ws.expect("delivered").await;
        assert_eq!(event["data"]["conversation_id"], group.as_str());
        assert_eq!(event["data"]["seq"], 1);
        who.push(
            event["data"]["user_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    who.sort();
    let mut expected = vec![bob.id.clone(), carol.id.clone()];
    expected.sort();
    assert_eq!(who, expected, "one event per member, none for the sender");
    // Bob hears of Carol's delivery, never of his own.
    let event = bob_ws.expect("delivered").await;
    assert_eq!(event["data"]["user_id"], carol.id.as_str());
    bob_ws.assert_no_event("delivered", SHORT).await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_cut_off_without_delaying_others() {
    let app = spawn_app_with(|s| {
        s.realtime.queue_capacity = 64;
        s.realtime.write_timeout_ms = 500;
        // The slow client reads only after the last send: on a busy machine that can be long.
        s.realtime.close_grace_secs = 600;
    })
    .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let mut slow = app.ws_raw(Some(2048)).await;
    slow.send_json(json!({"type": "auth", "token": bob.access_token}))
        .await;
    slow.expect("ready").await;
    let mut fast = app.ws(&bob.access_token).await;
    // Loopback send buffers grow to 4 MiB: only past that does a reader that stopped reading
    // hold up its writer.
    let text = "x".repeat(3900);
    let path = format!("/api/v1/conversations/{group}/messages");
    let mut seqs = Vec::new();
    for batch in 0..56 {
        let sends = (0..25).map(|i| {
            let body = json!({"content": format!("{batch}-{i} {text}")});
            let (app, path, token) = (&app, &path, &alice.access_token);
            async move { app.post_json(path, &body, Some(token)).await.status() }
        });
        let statuses = futures_util::future::join_all(sends).await;
        assert!(statuses.iter().all(|s| *s == StatusCode::CREATED));
        for _ in 0..25 {
            let event = fast
                .next_event_within("message.created", Duration::from_secs(2))
                .await
                .expect("fast client keeps up");
            seqs.push(event["data"]["seq"].as_i64().unwrap());
        }
    }
    // Concurrent senders commit in one order and may publish in another: live events carry the
    // seq to order by; none is lost or doubled.
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=1400).collect::<Vec<_>>());

    assert_eq!(
        slow.closed_within(Duration::from_secs(30)).await,
        Some(4008)
    );
}

#[tokio::test]
#[ignore = "needs Redis: set TEST_REDIS_URL and run with --include-ignored (CI's second pass does)"]
async fn two_instances_behave_as_one_server() {
    let a = spawn_app().await;
    let b = spawn_twin(&a)
        .await
        .expect("TEST_REDIS_URL must be set: in-process fan-out cannot cross instances");
    let alice = a.register("alice").await;
    let bob = a.register("bob").await;
    let group = a.create_group(&alice, "g", &[&bob]).await;
    let mut alice_on_a = a.ws(&alice.access_token).await;

    let mut bob_on_b = b.ws(&bob.access_token).await;
    let online = alice_on_a.expect("presence").await;
    assert_eq!(online["data"]["status"], "online");

    b.send_message(&bob, &group, "from instance b").await;
    assert_eq!(
        alice_on_a.expect("message.created").await["data"]["content"],
        "from instance b"
    );
    let via_ws = alice_on_a
        .command(json!({"type": "message.send", "conversation_id": group, "content": "from a"}))
        .await;
    assert_eq!(via_ws["type"], "ack");
    bob_on_b.expect("message.created").await;
    assert_eq!(
        bob_on_b.expect("message.created").await["data"]["content"],
        "from a"
    );

    bob_on_b
        .command(json!({"type": "typing.start", "conversation_id": group}))
        .await;
    assert_eq!(
        alice_on_a.expect("typing").await["data"]["user_id"],
        bob.id.as_str()
    );
    let seen = alice_on_a
        .command(json!({"type": "presence.query", "user_ids": [bob.id]}))
        .await;
    assert_eq!(seen["data"]["presence"][0]["status"], "online");

    bob_on_b.close().await;
    assert_eq!(
        alice_on_a.expect("presence").await["data"]["status"],
        "offline"
    );
}

#[tokio::test]
async fn deliveries_follow_members_added_and_removed_after_the_first_message() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let mut bob_ws = app.ws(&bob.access_token).await;
    let mut carol_ws = app.ws(&carol.access_token).await;
    // A first message: the instance now knows who is in the group.
    app.send_message(&alice, &group, "first").await;
    assert_eq!(bob_ws.expect("message.created").await["data"]["seq"], 1);

    let added = app.add_participant(&alice, &group, &carol).await;
    assert!(added.status().is_success(), "{}", added.status());
    carol_ws.expect("participant.added").await;
    app.send_message(&alice, &group, "welcome").await;
    assert_eq!(carol_ws.expect("message.created").await["data"]["seq"], 2);
    assert_eq!(bob_ws.expect("message.created").await["data"]["seq"], 2);

    app.delete(
        &format!("/api/v1/conversations/{group}/participants/{}", bob.id),
        Some(&alice.access_token),
    )
    .await;
    bob_ws.expect("participant.removed").await;
    app.send_message(&alice, &group, "after bob left").await;
    assert_eq!(carol_ws.expect("message.created").await["data"]["seq"], 3);
    bob_ws.assert_no_event("message.created", SHORT).await;
}

#[tokio::test]
async fn a_blocked_users_typing_reactions_and_read_markers_never_reach_the_blocker() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let group = app.create_group(&carol, "g", &[&alice, &bob]).await;
    let message = app.send_message(&carol, &group, "hello all").await;
    app.send(
        Method::PUT,
        &format!("/api/v1/users/{}/block", alice.id),
        None,
        &bob.access_token,
    )
    .await;
    let mut alice_ws = app.ws(&alice.access_token).await;
    let mut bob_ws = app.ws(&bob.access_token).await;
    let mut carol_ws = app.ws(&carol.access_token).await;

    let typing = alice_ws
        .command(json!({"type": "typing.start", "conversation_id": group}))
        .await;
    assert_eq!(typing["type"], "ack", "{typing}");
    let reacted = app
        .send(
            Method::PUT,
            &format!(
                "/api/v1/conversations/{group}/messages/{}/reactions/%F0%9F%91%8D",
                message["id"].as_str().unwrap()
            ),
            None,
            &alice.access_token,
        )
        .await;
    assert_eq!(reacted.status(), StatusCode::NO_CONTENT);
    let read = alice_ws
        .command(json!({"type": "read", "conversation_id": group, "seq": 1}))
        .await;
    assert_eq!(read["type"], "ack", "{read}");

    // Carol, not blocking anyone, hears all three.
    carol_ws.expect("typing").await;
    carol_ws.expect("reaction.added").await;
    assert_eq!(
        carol_ws.expect("read").await["data"]["user_id"],
        alice.id.as_str()
    );
    // Events reach a socket in order: once Bob has Carol's later message, nothing of Alice's
    // from before it can still come.
    app.send_message(&carol, &group, "barrier").await;
    bob_ws.expect("message.created").await;
    for kind in ["typing", "reaction.added", "read"] {
        bob_ws.assert_no_event(kind, Duration::from_millis(1)).await;
    }
}
