//! Notifications: each trigger notifies exactly once, never the sender, never for a muted
//! conversation; the inbox, read marks, devices and the webhook push with retries.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{ResponseExt, TestApp, TestUser, eventually, spawn_app, spawn_app_with};

async fn inbox(app: &TestApp, user: &TestUser) -> Value {
    app.get_ok("/api/v1/notifications", &user.access_token)
        .await
}

/// The user's notifications once `done` holds for them, oldest first.
async fn wait_until(
    app: &TestApp,
    user: &TestUser,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let what = format!("{} had {what}", user.username);
    eventually(&what, || async {
        let body = inbox(app, user).await;
        let mut list = body["notifications"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        done(&list).then(|| {
            list.reverse();
            list
        })
    })
    .await
}

/// The user's notifications once there are at least `count`, oldest first.
async fn wait_for(app: &TestApp, user: &TestUser, count: usize) -> Vec<Value> {
    let what = format!("{count} notifications");
    wait_until(app, user, &what, |list| list.len() >= count).await
}

/// Events are handled in order: once a fresh group's invitation has reached `user`, every
/// event before it has been handled too. Returns `user`'s notifications without it.
async fn settled(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let name = format!("barrier{}", uuid::Uuid::new_v4().simple());
    let inviter = app.register(&name[..20]).await;
    app.create_group(&inviter, "barrier", &[user]).await;
    let is_barrier = |n: &Value| n["actor_id"] == inviter.id.as_str();
    let all = wait_until(app, user, "the barrier notification", |list| {
        list.iter().any(is_barrier)
    })
    .await;
    let (barrier, rest): (Vec<Value>, Vec<Value>) = all.into_iter().partition(is_barrier);
    assert_eq!(barrier.len(), 1);
    rest
}

async fn send(app: &TestApp, from: &TestUser, conversation: &str, body: Value) -> Value {
    let response = app
        .post_json(
            &format!("/api/v1/conversations/{conversation}/messages"),
            &body,
            Some(&from.access_token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("json body")
}

async fn request_contact(app: &TestApp, from: &TestUser, to: &TestUser) {
    let body = json!({"user_id": to.id});
    let response = app
        .post_json("/api/v1/contacts", &body, Some(&from.access_token))
        .await;
    assert!(response.status().is_success(), "contact request");
}

fn kinds(list: &[Value]) -> Vec<&str> {
    list.iter()
        .map(|n| n["kind"].as_str().unwrap_or("?"))
        .collect()
}

#[tokio::test]
async fn a_message_notifies_the_mentioned_and_the_offline_once_and_never_the_sender() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    let group = app.create_group(&alice, "g", &[&bob, &carol, &dave]).await;
    // Bob and Dave are online; Carol is not.
    let _bob_ws = app.ws(&bob.access_token).await;
    let _dave_ws = app.ws(&dave.access_token).await;
    let before = |list: Vec<Value>| -> Vec<Value> {
        list.into_iter()
            .filter(|n| n["kind"] != "added_to_conversation")
            .collect()
    };

    let message = send(
        &app,
        &alice,
        &group,
        json!({"content": "@bob @carol look", "mentions": [bob.id, carol.id]}),
    )
    .await;
    let plain = app.send_message(&alice, &group, "and another").await;

    let bobs = before(settled(&app, &bob).await);
    assert_eq!(kinds(&bobs), ["mention"]);
    assert_eq!(bobs[0]["message_id"], message["id"]);
    assert_eq!(bobs[0]["conversation_id"], group.as_str());
    assert_eq!(bobs[0]["actor_id"], alice.id.as_str());
    assert_eq!(bobs[0]["read"], false);

    // Mentioned and offline: one notification for the message, the mention.
    let carols = before(settled(&app, &carol).await);
    assert_eq!(kinds(&carols), ["mention", "message"]);
    assert_eq!(carols[0]["message_id"], message["id"]);
    assert_eq!(carols[1]["message_id"], plain["id"]);

    // Online and not mentioned: nothing.
    assert!(before(settled(&app, &dave).await).is_empty());
    assert!(settled(&app, &alice).await.is_empty());
}

#[tokio::test]
async fn muted_conversations_and_switched_off_kinds_do_not_notify() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let group = app.create_group(&alice, "g", &[&bob, &carol]).await;
    let response = app
        .put_json(
            &format!("/api/v1/conversations/{group}/mute"),
            &json!({}),
            &bob.access_token,
        )
        .await;
    assert!(response.status().is_success());
    let response = app
        .patch_json(
            "/api/v1/users/me/settings",
            &json!({"notifications": {"messages": false}}),
            &carol.access_token,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    send(
        &app,
        &alice,
        &group,
        json!({"content": "@bob", "mentions": [bob.id]}),
    )
    .await;
    app.send_message(&alice, &group, "plain").await;

    let bobs = settled(&app, &bob).await;
    assert_eq!(
        kinds(&bobs),
        ["added_to_conversation"],
        "muted: no mention, no message"
    );
    let carols = settled(&app, &carol).await;
    assert_eq!(
        kinds(&carols),
        ["added_to_conversation"],
        "messages switched off"
    );
}

#[tokio::test]
async fn a_blocked_sender_does_not_notify() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    // Notifications are made after the commit: block only once the invitation has notified.
    wait_for(&app, &bob, 1).await;
    let response = app
        .put_json(
            &format!("/api/v1/users/{}/block", alice.id),
            &json!({}),
            &bob.access_token,
        )
        .await;
    assert!(response.status().is_success());

    send(
        &app,
        &alice,
        &group,
        json!({"content": "@bob", "mentions": [bob.id]}),
    )
    .await;

    assert_eq!(kinds(&settled(&app, &bob).await), ["added_to_conversation"]);
}

#[tokio::test]
async fn contact_requests_and_acceptances_notify_the_other_side_once() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    request_contact(&app, &alice, &bob).await;
    let bobs = wait_for(&app, &bob, 1).await;
    assert_eq!(kinds(&bobs), ["contact_request"]);
    assert_eq!(bobs[0]["actor_id"], alice.id.as_str());

    let response = app
        .post_json(
            &format!("/api/v1/contacts/{}/accept", alice.id),
            &json!({}),
            Some(&bob.access_token),
        )
        .await;
    assert!(response.status().is_success());
    let alices = wait_for(&app, &alice, 1).await;
    assert_eq!(kinds(&alices), ["contact_accepted"]);
    assert_eq!(alices[0]["actor_id"], bob.id.as_str());

    assert_eq!(kinds(&settled(&app, &bob).await), ["contact_request"]);
    assert_eq!(kinds(&settled(&app, &alice).await), ["contact_accepted"]);
}

#[tokio::test]
async fn being_added_to_a_group_notifies_the_added_only() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let response = app.add_participant(&alice, &group, &carol).await;
    assert!(response.status().is_success());

    for user in [&bob, &carol] {
        let list = wait_for(&app, user, 1).await;
        assert_eq!(kinds(&list), ["added_to_conversation"]);
        assert_eq!(list[0]["conversation_id"], group.as_str());
        assert_eq!(list[0]["actor_id"], alice.id.as_str());
    }
    assert!(settled(&app, &alice).await.is_empty());
    assert_eq!(settled(&app, &carol).await.len(), 1);
}

#[tokio::test]
async fn a_new_notification_reaches_the_users_websockets() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mut bob_ws = app.ws(&bob.access_token).await;
    let mut alice_ws = app.ws(&alice.access_token).await;

    request_contact(&app, &alice, &bob).await;

    let event = bob_ws.expect("notification.created").await;
    assert_eq!(event["data"]["kind"], "contact_request");
    assert_eq!(event["data"]["actor_id"], alice.id.as_str());
    let stored = wait_for(&app, &bob, 1).await;
    assert_eq!(event["data"]["id"], stored[0]["id"]);
    alice_ws
        .assert_no_event("notification.created", Duration::from_millis(500))
        .await;
}

#[tokio::test]
async fn the_inbox_pages_filters_and_marks_read_only_the_callers_own() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    for i in 0..3 {
        send(
            &app,
            &alice,
            &group,
            json!({"content": format!("m{i}"), "mentions": [bob.id]}),
        )
        .await;
    }
    let all = wait_for(&app, &bob, 4).await;
    let newest_first: Vec<Value> = all.iter().rev().cloned().collect();

    let first = app
        .get_ok("/api/v1/notifications?limit=3", &bob.access_token)
        .await;
    assert_eq!(first["unread_count"], 4);
    let page: Vec<&Value> = first["notifications"]
        .as_array()
        .expect("list")
        .iter()
        .collect();
    assert_eq!(page.len(), 3);
    let cursor = first["next_cursor"].as_str().expect("cursor");
    let second = app
        .get_ok(
            &format!("/api/v1/notifications?limit=3&cursor={cursor}"),
            &bob.access_token,
        )
        .await;
    assert!(second.get("next_cursor").is_none());
    let mut seen: Vec<Value> = page.into_iter().cloned().collect();
    seen.extend(
        second["notifications"]
            .as_array()
            .expect("list")
            .iter()
            .cloned(),
    );
    let ids = |list: &[Value]| list.iter().map(|n| n["id"].clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(&seen),
        ids(&newest_first),
        "newest first, no gap, no repeat"
    );

    // Alice cannot mark Bob's notifications read.
    let response = app
        .post_json(
            "/api/v1/notifications/read",
            &json!({"ids": [all[0]["id"]]}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["updated"], 0);
    assert_eq!(inbox(&app, &bob).await["unread_count"], 4);

    let response = app
        .post_json(
            "/api/v1/notifications/read",
            &json!({"ids": [all[0]["id"], all[1]["id"]]}),
            Some(&bob.access_token),
        )
        .await;
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        (body["updated"].clone(), body["unread_count"].clone()),
        (json!(2), json!(2))
    );
    let unread = app
        .get_ok("/api/v1/notifications?unread=true", &bob.access_token)
        .await;
    assert_eq!(
        ids(unread["notifications"].as_array().expect("list")),
        ids(&newest_first[..2])
    );
    let read_one = inbox(&app, &bob).await["notifications"]
        .as_array()
        .expect("list")
        .iter()
        .find(|n| n["id"] == all[0]["id"])
        .cloned()
        .expect("still listed");
    assert_eq!(read_one["read"], true);
    assert!(read_one["read_at"].is_string());

    let response = app
        .post_json(
            "/api/v1/notifications/read",
            &json!({"all": true}),
            Some(&bob.access_token),
        )
        .await;
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        (body["updated"].clone(), body["unread_count"].clone()),
        (json!(2), json!(0))
    );
}

#[tokio::test]
async fn bad_inbox_requests_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let token = alice.access_token.as_str();
    for query in ["limit=0", "limit=101"] {
        let response = app
            .get(&format!("/api/v1/notifications?{query}"), Some(token))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
        assert_eq!(response.problem().await.fields, ["limit"]);
    }
    for (query, field) in [
        ("cursor=nope", "cursor"),
        ("unread=maybe", "unread"),
        ("limit=x", "limit"),
    ] {
        let response = app
            .get(&format!("/api/v1/notifications?{query}"), Some(token))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
        assert_eq!(response.problem().await.fields, [field], "{query}");
    }
    for (body, field) in [
        (json!({}), "ids"),
        (json!({"ids": [], "all": true}), "all"),
        (json!({"ids": vec![uuid::Uuid::now_v7(); 101]}), "ids"),
    ] {
        let response = app
            .post_json("/api/v1/notifications/read", &body, Some(token))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        assert_eq!(response.problem().await.fields, [field]);
    }
    let response = app
        .post_json(
            "/api/v1/notifications/read",
            &json!({"ids": ["not-a-uuid"]}),
            Some(token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.problem().await.code, "invalid_body");
    let response = app
        .client
        .post(app.url("/api/v1/notifications/read"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body("{\"all\":")
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.problem().await.code, "malformed_body");
    for path in ["/api/v1/notifications", "/api/v1/devices"] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test]
async fn devices_register_once_move_between_accounts_and_are_removed_by_their_owner() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let body = json!({"platform": "android", "token": "fcm-token-1"});

    let first = app
        .post_json("/api/v1/devices", &body, Some(&alice.access_token))
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let device: Value = first.json().await.expect("json");
    assert_eq!(device["platform"], "android");
    assert!(device.get("token").is_none(), "tokens are not echoed");
    let again = app
        .post_json("/api/v1/devices", &body, Some(&alice.access_token))
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.expect("json");
    assert_eq!(again["id"], device["id"]);
    let list = app.get_ok("/api/v1/devices", &alice.access_token).await;
    assert_eq!(list["devices"].as_array().map(Vec::len), Some(1));

    // Bob cannot remove Alice's device.
    let path = format!("/api/v1/devices/{}", device["id"].as_str().expect("id"));
    let response = app.delete(&path, Some(&bob.access_token)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.problem().await.code, "device_not_found");

    // The same install signs in as Bob: the token is his now.
    let moved = app
        .post_json("/api/v1/devices", &body, Some(&bob.access_token))
        .await;
    assert_eq!(moved.status(), StatusCode::CREATED);
    let alices = app.get_ok("/api/v1/devices", &alice.access_token).await;
    assert_eq!(alices["devices"].as_array().map(Vec::len), Some(0));
    let response = app.delete(&path, Some(&bob.access_token)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app.delete(&path, Some(&bob.access_token)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    let bad = app
        .post_json(
            "/api/v1/devices",
            &json!({"platform": "pager", "token": "a b"}),
            Some(&bob.access_token),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.problem().await.fields, ["platform", "token"]);
    let bad = app
        .send(
            Method::POST,
            "/api/v1/devices",
            Some(&json!({"platform": 1})),
            &bob.access_token,
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.problem().await.code, "invalid_body");
    let response = app
        .delete("/api/v1/devices/not-a-uuid", Some(&bob.access_token))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let bobs = app.get_ok("/api/v1/devices", &bob.access_token).await;
    assert_eq!(bobs["devices"].as_array().map(Vec::len), Some(0));
}

/// A push gateway on loopback: the n-th request gets `statuses[n]`, and 200 past their end.
struct Receiver {
    url: String,
    bodies: Arc<Mutex<Vec<(u16, Value)>>>,
}

async fn push_receiver(statuses: &[u16]) -> Receiver {
    let statuses = statuses.to_vec();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/push", listener.local_addr().expect("address"));
    let bodies: Arc<Mutex<Vec<(u16, Value)>>> = Arc::default();
    let seen = bodies.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            let body = loop {
                let Ok(n) = stream.read(&mut buffer).await else {
                    break None;
                };
                if n == 0 {
                    break None;
                }
                request.extend_from_slice(&buffer[..n]);
                let text = String::from_utf8_lossy(&request).to_string();
                if let Some((head, rest)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if rest.len() >= length {
                        break serde_json::from_str::<Value>(&rest[..length]).ok();
                    }
                }
            };
            let status = {
                let mut seen = seen.lock().expect("lock");
                let status = statuses.get(seen.len()).copied().unwrap_or(200);
                seen.push((status, body.unwrap_or(Value::Null)));
                status
            };
            let reply =
                format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = stream.write_all(reply.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    Receiver { url, bodies }
}

/// A server pushing to `receiver`; Bob has `devices` (platform, token), and Alice's contact
/// request has notified him. Returns the app, Bob and his notification.
async fn push_to_bob(receiver: &Receiver, devices: &[(&str, &str)]) -> (TestApp, TestUser, Value) {
    let url = receiver.url.clone();
    let app = spawn_app_with(move |s| {
        s.notifications.push_webhook_url = url;
        s.notifications.push_initial_backoff_ms = 20;
        s.notifications.push_max_attempts = 4;
    })
    .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    for (platform, token) in devices {
        let body = json!({"platform": platform, "token": token});
        let response = app
            .post_json("/api/v1/devices", &body, Some(&bob.access_token))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    request_contact(&app, &alice, &bob).await;
    let notification = wait_for(&app, &bob, 1).await.remove(0);
    (app, bob, notification)
}

/// Waits (generously) until `receiver` has had `count` requests.
async fn received(receiver: &Receiver, count: usize) {
    let what = format!("{count} pushes arrived");
    eventually(&what, || async {
        (receiver.bodies.lock().expect("lock").len() >= count).then_some(())
    })
    .await
}

/// Every request `receiver` had for what came before a fresh notification of `user`'s: pushes
/// go out in order, each with its retries done before the next, so once that one's push is
/// in, nothing earlier can still come.
async fn pushes_settled(app: &TestApp, user: &TestUser, receiver: &Receiver) -> Vec<(u16, Value)> {
    let name = format!("barrier{}", uuid::Uuid::new_v4().simple());
    let barrier = app.register(&name[..20]).await;
    request_contact(app, &barrier, user).await;
    let is_barrier =
        |(_, body): &(u16, Value)| body["notification"]["actor_id"] == barrier.id.as_str();
    eventually("the barrier's push arrived", || async {
        let bodies = receiver.bodies.lock().expect("lock").clone();
        let at = bodies.iter().position(is_barrier)?;
        Some(bodies[..at].to_vec())
    })
    .await
}

#[tokio::test]
async fn pushes_go_to_every_device_through_the_webhook_retrying_failures() {
    let receiver = push_receiver(&[503, 503]).await;
    let devices = [("ios", "apns-bob"), ("android", "fcm-bob")];
    let (app, bob, notification) = push_to_bob(&receiver, &devices).await;

    received(&receiver, 4).await;
    let attempts = pushes_settled(&app, &bob, &receiver).await;
    let seen: Vec<(u16, &str)> = attempts
        .iter()
        .map(|(status, body)| (*status, body["device"]["token"].as_str().unwrap_or("?")))
        .collect();
    assert_eq!(
        seen,
        [
            (503, "apns-bob"),
            (503, "apns-bob"),
            (200, "apns-bob"),
            (200, "fcm-bob")
        ],
        "retried until it went through, then the next device, each once"
    );
    for (_, body) in &attempts {
        assert_eq!(body["notification"]["id"], notification["id"]);
        assert_eq!(body["notification"]["kind"], "contact_request");
        assert_eq!(body["notification"]["user_id"], bob.id.as_str());
    }
    assert_eq!(attempts[0].1["device"]["platform"], "ios");
    assert_eq!(attempts[3].1["device"]["platform"], "android");
}

#[tokio::test]
async fn a_device_whose_token_is_gone_gets_no_more_pushes() {
    let receiver = push_receiver(&[410]).await;
    let devices = [("android", "fcm-uninstalled"), ("ios", "apns-bob")];
    let (app, bob, _) = push_to_bob(&receiver, &devices).await;
    received(&receiver, 2).await;

    let carol = app.register("carol").await;
    request_contact(&app, &carol, &bob).await;
    received(&receiver, 3).await;
    let tokens: Vec<(u16, String)> = pushes_settled(&app, &bob, &receiver)
        .await
        .iter()
        .map(|(s, body)| (*s, body["device"]["token"].as_str().unwrap_or("?").into()))
        .collect();
    assert_eq!(
        tokens,
        [
            (410, "fcm-uninstalled".to_owned()),
            (200, "apns-bob".to_owned()),
            (200, "apns-bob".to_owned())
        ],
        "the dead token was tried once, not retried, then forgotten"
    );
}

#[tokio::test]
async fn a_push_the_gateway_refuses_is_not_retried() {
    let receiver = push_receiver(&[400]).await;
    let (app, bob, _) = push_to_bob(&receiver, &[("web", "wp-bob")]).await;

    received(&receiver, 1).await;
    let statuses: Vec<u16> = pushes_settled(&app, &bob, &receiver)
        .await
        .iter()
        .map(|(s, _)| *s)
        .collect();
    assert_eq!(statuses, [400]);
}
