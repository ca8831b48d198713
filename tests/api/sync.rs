//! `sync`: catching up after a reconnect, while live events keep flowing.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PATIENCE, eventually, spawn_app, spawn_app_with};
use crate::ws::SHORT;

#[tokio::test]
async fn after_a_reconnect_sync_returns_every_missed_message_once_and_in_order() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mut groups = Vec::new();
    for i in 0..5 {
        groups.push(app.create_group(&alice, &format!("g{i}"), &[&bob]).await);
    }
    let mut bob_ws = app.ws(&bob.access_token).await;
    for group in &groups {
        app.send_message(&alice, group, "before").await;
        bob_ws.expect("message.created").await;
    }
    bob_ws.close().await;

    for n in 0..20 {
        for group in &groups {
            app.send_message(&alice, group, &format!("missed {n}"))
                .await;
        }
    }
    let mut bob_ws = app.ws(&bob.access_token).await;
    let entries: Vec<Value> = groups
        .iter()
        .map(|g| json!({"conversation_id": g, "after_seq": 1}))
        .collect();
    let ack = bob_ws
        .command(json!({"type": "sync", "conversations": entries}))
        .await;

    assert_eq!(ack["type"], "ack", "{ack}");
    let mut received: HashMap<String, Vec<i64>> = HashMap::new();
    while let Some(event) = bob_ws.next_event_within("message.created", SHORT).await {
        let data = &event["data"];
        received
            .entry(data["conversation_id"].as_str().unwrap().to_owned())
            .or_default()
            .push(data["seq"].as_i64().unwrap());
    }
    assert_eq!(received.values().map(Vec::len).sum::<usize>(), 100);
    for group in &groups {
        assert_eq!(
            received[group.as_str()],
            (2..=21).collect::<Vec<_>>(),
            "{group}"
        );
    }
    for result in ack["data"]["conversations"].as_array().unwrap() {
        assert_eq!(
            (result["last_seq"].as_i64(), result["has_more"].as_bool()),
            (Some(21), Some(false))
        );
    }
    let ahead = bob_ws.command(json!({"type": "sync", "conversations": [{"conversation_id": groups[0], "after_seq": 99}]})).await;
    assert_eq!(ahead["type"], "ack");
    let resync = bob_ws.expect("resync_required").await;
    assert_eq!(
        (
            resync["data"]["from_seq"].as_i64(),
            resync["data"]["to_seq"].as_i64()
        ),
        (Some(99), Some(21))
    );
}

#[tokio::test]
async fn live_messages_keep_flowing_while_a_long_sync_replays() {
    let app = spawn_app_with(|s| {
        // Bob reads nothing until the live message is queued for him; on a busy machine
        // that can take long.
        s.realtime.write_timeout_ms = 600_000;
    })
    .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let group = app.create_group(&alice, "g", &[&bob, &carol]).await;
    // 1,000 messages of 8 KB: more than loopback socket buffers hold (4 MiB), so the
    // replay waits for Bob to read.
    let text = "é".repeat(4000);
    let path = format!("/api/v1/conversations/{group}/messages");
    for _ in 0..40 {
        let sends = (0..25).map(|_| {
            let body = json!({"content": text});
            let (app, path, token) = (&app, &path, &alice.access_token);
            async move { app.post_json(path, &body, Some(token)).await.status() }
        });
        let statuses = futures_util::future::join_all(sends).await;
        assert!(statuses.iter().all(|s| *s == StatusCode::CREATED));
    }
    let mut bob_ws = app.ws_raw(Some(64 * 1024)).await;
    bob_ws
        .send_json(json!({"type": "auth", "token": bob.access_token}))
        .await;
    bob_ws.expect("ready").await;
    let mut carol_ws = app.ws(&carol.access_token).await;
    let sync = |reference: &str| json!({"type": "sync", "ref": reference, "conversations": [{"conversation_id": group, "after_seq": 0}]});
    bob_ws.send_json(sync("catch-up")).await;
    bob_ws.send_json(sync("again")).await;

    app.send_message(&alice, &group, "live").await;
    // Carol has it, so it waits in Bob's queue too, behind part of the replay.
    let live = carol_ws
        .next_event_within("message.created", PATIENCE)
        .await
        .expect("the live message");
    assert_eq!(live["data"]["seq"], 1001);

    let refused = bob_ws.reply(json!("again")).await;
    assert_eq!(refused["code"], "sync_in_progress", "{refused}");
    let ack = bob_ws.reply(json!("catch-up")).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let seqs: Vec<i64> = bob_ws
        .take_buffered()
        .iter()
        .filter(|f| f["type"] == "message.created")
        .map(|f| f["data"]["seq"].as_i64().unwrap())
        .collect();
    assert!(
        seqs.contains(&1001),
        "the live message arrived during the replay, not after its ack"
    );
    let mut sorted = seqs.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=1001).collect::<Vec<_>>(), "each exactly once");
}

#[tokio::test]
async fn a_sync_from_a_range_erased_by_retention_is_told_to_reload() {
    let app = spawn_app_with(|s| {
        s.messages.retention_secs = 1;
        s.messages.retention_interval_secs = 1;
    })
    .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    for n in 0..3 {
        app.send_message(&alice, &group, &format!("m{n}")).await;
    }
    let path = format!("/api/v1/conversations/{group}/messages");
    eventually("the messages expire", || async {
        let page = app.get_ok(&path, &bob.access_token).await;
        (page["messages"][0]["deleted"] == true).then_some(())
    })
    .await;
    let mut bob_ws = app.ws(&bob.access_token).await;

    let ack = bob_ws
        .command(
            json!({"type": "sync", "conversations": [{"conversation_id": group, "after_seq": 0}]}),
        )
        .await;

    assert_eq!(ack["type"], "ack", "{ack}");
    let resync = bob_ws.expect("resync_required").await;
    assert_eq!(resync["data"]["conversation_id"], group.as_str());
    assert_eq!(resync["data"]["reason"], "expired");
    assert_eq!(
        (
            resync["data"]["from_seq"].as_i64(),
            resync["data"]["to_seq"].as_i64()
        ),
        (Some(0), Some(3))
    );
    assert_eq!(ack["data"]["conversations"][0]["last_seq"], 3);
    bob_ws.assert_no_event("message.created", SHORT).await;
}

#[tokio::test]
async fn one_bad_conversation_in_a_sync_answers_for_itself_only() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let strangers = app.create_group(&alice, "not bob's", &[]).await;
    for n in 0..3 {
        app.send_message(&alice, &group, &format!("m{n}")).await;
    }
    let mut bob_ws = app.ws(&bob.access_token).await;

    let unknown = uuid::Uuid::now_v7().to_string();
    let ack = bob_ws
        .command(json!({"type": "sync", "conversations": [
            {"conversation_id": unknown, "after_seq": 0},
            {"conversation_id": group, "after_seq": 0},
            {"conversation_id": strangers, "after_seq": 0},
        ]}))
        .await;

    assert_eq!(ack["type"], "ack", "{ack}");
    let results = ack["data"]["conversations"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["error"], "conversation_not_found");
    assert_eq!(results[2]["error"], "conversation_not_found");
    assert_eq!(results[1]["last_seq"], 3);
    assert!(results[1].get("error").is_none(), "{ack}");
    for seq in 1..=3 {
        let event = bob_ws.expect("message.created").await;
        assert_eq!(event["data"]["seq"], seq);
    }
}
