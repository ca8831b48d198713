//! GraphQL subscriptions over `graphql-transport-ws`: the socket's events, the same catch-up
//! by seq, and the same authorization.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{Socket, TestApp, eventually, spawn_app};

const EVENTS: &str = "subscription($since: [Since!]) { events(since: $since) {
    __typename
    ... on MessageCreated { message { seq content sender { username } } }
    ... on MessageUpdated { message { seq content reactions { emoji count } } }
    ... on ResyncRequired { conversationId fromSeq reason }
} }";

struct GqlSocket {
    socket: Socket,
    pub closed_with: Option<u16>,
}

impl GqlSocket {
    async fn open(app: &TestApp) -> Self {
        let url = format!("{}/graphql", app.address.replacen("http", "ws", 1));
        let mut request = url.into_client_request().expect("a request");
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
            .await
            .expect("tcp");
        let (socket, response) = tokio_tungstenite::client_async(request, stream)
            .await
            .expect("a handshake");
        assert_eq!(
            response.headers()["sec-websocket-protocol"],
            "graphql-transport-ws"
        );
        Self {
            socket,
            closed_with: None,
        }
    }

    /// Opens a socket and initialises it with `token`; waits for the ack.
    async fn signed_in(app: &TestApp, token: &str) -> Self {
        let mut socket = Self::open(app).await;
        socket
            .send(json!({"type": "connection_init", "payload": {"token": token}}))
            .await;
        let ack = socket.read().await.expect("an ack");
        assert_eq!(ack["type"], "connection_ack");
        socket
    }

    async fn send(&mut self, frame: Value) {
        let text = Message::text(frame.to_string());
        self.socket.send(text).await.expect("sent");
    }

    async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let payload = json!({"query": query, "variables": variables});
        self.send(json!({"id": id, "type": "subscribe", "payload": payload}))
            .await;
    }

    /// The next frame; `None` once closed (its code in `closed_with`). Fails after 10 s.
    async fn read(&mut self) -> Option<Value> {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("a frame within 10 s")?;
            match frame {
                Ok(Message::Text(text)) => return serde_json::from_str(&text).ok(),
                Ok(Message::Close(reason)) => {
                    self.closed_with = Some(reason.map_or(1005, |r| u16::from(r.code)));
                    return None;
                }
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// The next event of the `events` subscription about messages (others are skipped:
    /// notifications of the group's creation, presence, markers).
    async fn event(&mut self) -> Value {
        loop {
            let frame = self.read().await.expect("an event");
            assert_eq!(frame["type"], "next", "{frame}");
            assert!(frame["payload"]["errors"].is_null(), "{frame}");
            let event = &frame["payload"]["data"]["events"];
            if event.get("message").is_some() || event["__typename"] == "ResyncRequired" {
                return event.clone();
            }
        }
    }

    /// The `extensions` of the error a subscription ended with.
    async fn error(&mut self) -> Value {
        let frame = self.read().await.expect("an error");
        let errors = match frame["type"].as_str() {
            Some("error") => frame["payload"].clone(),
            _ => frame["payload"]["errors"].clone(),
        };
        errors[0]["extensions"].clone()
    }
}

fn created(event: &Value) -> (i64, String) {
    assert_eq!(event["__typename"], "MessageCreated", "{event}");
    let message = &event["message"];
    (
        message["seq"].as_i64().unwrap(),
        message["content"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_subscription_receives_each_message_once_and_its_changes() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = app.create_group(&alice, "Book club", &[&bob]).await;
    let mut socket = GqlSocket::signed_in(&app, &bob.access_token).await;
    // From seq 0: whatever is sent while the subscription starts comes by replay or live.
    let since = json!({"since": [{"conversationId": chat, "seq": 0}]});
    socket.subscribe("1", EVENTS, since).await;

    let sent = app.send_message(&alice, &chat, "hello").await;
    assert_eq!(created(&socket.event().await), (1, "hello".to_owned()));
    app.send_message(&alice, &chat, "second").await;
    assert_eq!(created(&socket.event().await), (2, "second".to_owned()));

    let path = format!(
        "/api/v1/conversations/{chat}/messages/{}",
        sent["id"].as_str().unwrap()
    );
    let edit = app
        .patch_json(
            &path,
            &json!({"content": "hello, edited"}),
            &alice.access_token,
        )
        .await;
    assert_eq!(edit.status(), StatusCode::OK);
    let updated = socket.event().await;
    assert_eq!(updated["__typename"], "MessageUpdated");
    assert_eq!(updated["message"]["content"], "hello, edited");
    socket.send(json!({"id": "1", "type": "complete"})).await;
}

#[tokio::test]
async fn a_catch_up_replays_what_was_missed_then_goes_live() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = app.create_group(&alice, "Book club", &[&bob]).await;
    for n in 1..=3 {
        app.send_message(&alice, &chat, &format!("m{n}")).await;
    }
    let mut socket = GqlSocket::signed_in(&app, &bob.access_token).await;
    let since = json!({"since": [{"conversationId": chat, "seq": 1}]});
    socket.subscribe("1", EVENTS, since).await;

    assert_eq!(created(&socket.event().await), (2, "m2".to_owned()));
    assert_eq!(created(&socket.event().await), (3, "m3".to_owned()));
    app.send_message(&alice, &chat, "m4").await;
    assert_eq!(created(&socket.event().await), (4, "m4".to_owned()));

    // A seq beyond the conversation's last cannot be continued from: reload it.
    let mut other = GqlSocket::signed_in(&app, &bob.access_token).await;
    let ahead = json!({"since": [{"conversationId": chat, "seq": 99}]});
    other.subscribe("2", EVENTS, ahead).await;
    let resync = other.event().await;
    assert_eq!(resync["__typename"], "ResyncRequired");
    assert_eq!(resync["reason"], "unknown_seq");
    assert_eq!(resync["conversationId"], chat.as_str());
}

#[tokio::test]
async fn subscriptions_need_a_caller_and_a_valid_token() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let mut anonymous = GqlSocket::open(&app).await;
    anonymous
        .send(json!({"type": "connection_init", "payload": {}}))
        .await;
    assert_eq!(anonymous.read().await.unwrap()["type"], "connection_ack");
    anonymous.subscribe("1", EVENTS, json!({})).await;
    assert_eq!(anonymous.error().await["code"], "missing_token");

    let mut forged = GqlSocket::open(&app).await;
    forged
        .send(json!({"type": "connection_init", "payload": {"token": "forged"}}))
        .await;
    assert!(forged.read().await.is_none(), "closed");
    assert_eq!(forged.closed_with, Some(4403));

    let mut greedy = GqlSocket::signed_in(&app, &alice.access_token).await;
    for id in 1..=4 {
        greedy.subscribe(&id.to_string(), EVENTS, json!({})).await;
    }
    greedy.subscribe("5", EVENTS, json!({})).await;
    assert_eq!(greedy.error().await["code"], "too_many_subscriptions");

    // Without an upgrade, the GraphiQL page and its files, all served from here.
    let page = app.get("/graphql", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("/app/graphiql/graphiql.min.js"), "{html}");
    assert!(!html.contains("https://"), "nothing from elsewhere");
    for file in [
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "start.js",
    ] {
        let asset = app.get(&format!("/app/graphiql/{file}"), None).await;
        assert_eq!(asset.status(), StatusCode::OK, "{file}");
    }
    // An upgrade without the protocol is refused, naming what to offer.
    let url = format!("{}/graphql", app.address.replacen("http", "ws", 1));
    let refused = tokio_tungstenite::connect_async(url).await;
    assert!(refused.is_err(), "no upgrade without graphql-transport-ws");
}

/// Bob's presence as Alice's chat socket sees it.
async fn status_of(alice: &mut crate::helpers::WsClient, bob: &str) -> String {
    let seen = alice
        .command(json!({"type": "presence.query", "user_ids": [bob]}))
        .await;
    seen["data"]["presence"][0]["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_subscriber_is_online_and_is_not_notified_of_what_it_receives() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = app.create_group(&alice, "Book club", &[&bob]).await;
    let mut socket = GqlSocket::signed_in(&app, &bob.access_token).await;
    let since = json!({"since": [{"conversationId": chat, "seq": 0}]});
    socket.subscribe("1", EVENTS, since).await;
    let status = || async { status_of(&mut app.ws(&alice.access_token).await, &bob.id).await };
    eventually("bob is online", || async {
        (status().await == "online").then_some(())
    })
    .await;

    let live = app.send_message(&alice, &chat, "while subscribed").await;
    assert_eq!(created(&socket.event().await).1, "while subscribed");
    socket.send(json!({"id": "1", "type": "complete"})).await;
    eventually("bob is offline once the subscription ends", || async {
        (status().await == "offline").then_some(())
    })
    .await;
    let offline = app.send_message(&alice, &chat, "while away").await;

    // Notifications follow the log in order: once the second is there, the first was decided.
    let inbox = eventually("bob is notified of what he missed", || async {
        let inbox = app.get_ok("/api/v1/notifications", &bob.access_token).await;
        let about = |m: &Value| {
            inbox["notifications"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["message_id"] == m["id"])
        };
        about(&offline).then_some(inbox)
    })
    .await;
    let missed: Vec<&Value> = inbox["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["message_id"] == live["id"])
        .collect();
    assert!(
        missed.is_empty(),
        "not notified of a message received live: {inbox}"
    );
}
