//! The chat list's order is kept in memory: every page must be the database's, right after
//! every change that moves it, on every instance.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, spawn_app, spawn_twin};

/// `chat_list_pages_total{source=…}` as `/metrics` shows it.
async fn pages_from(app: &TestApp, source: &str) -> u64 {
    app.counter(&format!("chat_list_pages_total{{source=\"{source}\"}}"))
        .await
}

/// The titles of `user`'s chat list, walked `limit` at a time.
async fn titles(app: &TestApp, user: &TestUser, limit: u32) -> Vec<String> {
    let mut titles = Vec::new();
    let mut cursor = String::new();
    loop {
        let path = format!("/api/v1/conversations?limit={limit}{cursor}");
        let page = app.get_ok(&path, &user.access_token).await;
        for c in page["conversations"].as_array().expect("conversations") {
            titles.push(c["title"].as_str().unwrap_or("direct").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return titles,
        }
    }
}

/// Reads until a page comes from memory (once the instance has read every event), and
/// checks that it is `expected` too.
async fn served_from_memory(app: &TestApp, user: &TestUser, expected: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let before = pages_from(app, "memory").await;
        assert_eq!(titles(app, user, 50).await, expected);
        if pages_from(app, "memory").await > before {
            return;
        }
        assert!(Instant::now() < deadline, "no page came from memory");
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn pages_ordered_in_memory_are_the_databases_at_every_cursor() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mut groups = Vec::new();
    for n in 0..7 {
        groups.push(app.create_group(&bob, &format!("g{n}"), &[&alice]).await);
    }
    // Activity in an order unlike creation's.
    for n in [3, 0, 6, 1] {
        app.send_message(&bob, &groups[n], "hi").await;
    }
    let expected = ["g1", "g6", "g0", "g3", "g5", "g4", "g2"];
    served_from_memory(&app, &alice, &expected).await;
    for limit in [1, 2, 3, 6, 7] {
        let before = pages_from(&app, "memory").await;
        assert_eq!(titles(&app, &alice, limit).await, expected, "limit {limit}");
        assert!(pages_from(&app, "memory").await > before);
    }
}

/// Each instance (this one and, with Redis, a second one) holds the order before every
/// change, and the very next read on either shows the change.
#[tokio::test]
async fn every_change_to_the_order_shows_at_once_on_every_instance() {
    let app = spawn_app().await;
    let twin = spawn_twin(&app).await;
    let readers: Vec<&TestApp> = std::iter::once(&app).chain(twin.as_ref()).collect();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let a = app.create_group(&bob, "a", &[&alice]).await;
    let b = app.create_group(&bob, "b", &[&alice]).await;
    let c = app.create_group(&bob, "c", &[&alice]).await;
    for reader in &readers {
        served_from_memory(reader, &alice, &["c", "b", "a"]).await;
    }

    let changes: [(&str, &[&str]); 6] = [
        ("a message in the oldest", &["a", "c", "b"]),
        ("added to a new group", &["d", "a", "c", "b"]),
        ("removed from one", &["d", "a", "c"]),
        ("a group deleted", &["d", "a"]),
        ("a direct chat opened", &["direct", "d", "a"]),
        ("a message in the oldest again", &["a", "direct", "d"]),
    ];
    let mut d = String::new();
    for (change, expected) in changes {
        match change {
            "a message in the oldest" => {
                app.send_message(&bob, &a, "up").await;
            }
            "added to a new group" => {
                d = app.create_group(&bob, "d", &[]).await;
                let added = app.add_participant(&bob, &d, &alice).await;
                assert_eq!(added.status(), StatusCode::OK, "{change}");
            }
            "removed from one" => {
                let path = format!("/api/v1/conversations/{b}/participants/{}", alice.id);
                let removed = app.delete(&path, Some(&bob.access_token)).await;
                assert_eq!(removed.status(), StatusCode::NO_CONTENT, "{change}");
            }
            "a group deleted" => {
                let path = format!("/api/v1/conversations/{c}");
                let deleted = app.delete(&path, Some(&bob.access_token)).await;
                assert_eq!(deleted.status(), StatusCode::NO_CONTENT, "{change}");
            }
            "a direct chat opened" => {
                let opened = app
                    .post_json(
                        "/api/v1/conversations",
                        &json!({"kind": "direct", "user_id": alice.id}),
                        Some(&bob.access_token),
                    )
                    .await;
                assert_eq!(opened.status(), StatusCode::CREATED, "{change}");
            }
            _ => {
                app.send_message(&bob, &a, "up again").await;
            }
        }
        for reader in &readers {
            assert_eq!(titles(reader, &alice, 3).await, expected, "{change}");
        }
        for reader in &readers {
            served_from_memory(reader, &alice, expected).await;
        }
    }
    assert!(!d.is_empty());
}

/// The list rows themselves (previews, unread counts) come from the database even when the
/// order comes from memory.
#[tokio::test]
async fn a_page_from_memory_shows_the_newest_preview_and_unread_count() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&bob, "g", &[&alice]).await;
    served_from_memory(&app, &alice, &["g"]).await;
    for n in 1..=3 {
        app.send_message(&bob, &group, &format!("m{n}")).await;
        let list = app
            .get_ok("/api/v1/conversations", &alice.access_token)
            .await;
        let row: &Value = &list["conversations"][0];
        assert_eq!(row["last_message"]["content"], format!("m{n}"));
        assert_eq!(row["unread_count"], n);
    }
}

/// Sends race the reader of the log: a list read right after a send was acknowledged always
/// has that conversation first, whether or not this instance has handled its event yet.
#[tokio::test]
async fn a_list_read_right_after_a_send_has_it_first() {
    let app = spawn_app().await;
    let twin = spawn_twin(&app).await;
    let reader = twin.as_ref().unwrap_or(&app);
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mut groups = Vec::new();
    for n in 0..4 {
        groups.push(app.create_group(&bob, &format!("g{n}"), &[&alice]).await);
    }
    served_from_memory(reader, &alice, &["g3", "g2", "g1", "g0"]).await;
    for round in 0..40 {
        // The oldest each time, so that a stale order would show it last.
        let n = round % 4;
        app.send_message(&bob, &groups[n], "up").await;
        let list = reader
            .get_ok("/api/v1/conversations?limit=2", &alice.access_token)
            .await;
        assert_eq!(list["conversations"][0]["id"], groups[n], "round {round}");
    }
    served_from_memory(reader, &alice, &["g3", "g2", "g1", "g0"]).await;
}
