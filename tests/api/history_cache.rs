//! The newest messages are served from memory: pages must be the database's, exactly, at
//! every boundary and through every change, on every instance.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, eventually, spawn_app, spawn_twin};

fn seqs(page: &Value) -> Vec<i64> {
    page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["seq"].as_i64().expect("seq"))
        .collect()
}

/// `history_pages_total{source=…}` as `/metrics` shows it.
async fn pages_from(app: &TestApp, source: &str) -> u64 {
    app.counter(&format!("history_pages_total{{source=\"{source}\"}}"))
        .await
}

async fn group_with_messages(app: &TestApp, count: i64) -> (TestUser, TestUser, String) {
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    for n in 1..=count {
        app.send_message(&alice, &group, &format!("m{n}")).await;
    }
    (alice, bob, group)
}

async fn page(app: &TestApp, user: &TestUser, group: &str, query: &str) -> Value {
    let path = format!("/api/v1/conversations/{group}/messages?limit=50{query}");
    app.get_ok(&path, &user.access_token).await
}

#[tokio::test]
async fn pages_from_memory_are_the_databases_at_every_boundary() {
    let app = spawn_app().await;
    let (_, bob, group) = group_with_messages(&app, 230).await;
    let from_cache = pages_from(&app, "cache").await + pages_from(&app, "memory").await;

    // Back from the newest, twice: the first walk fills, the second is served.
    for _ in 0..2 {
        let mut before = String::new();
        let mut expected_last = 230;
        loop {
            let page = page(&app, &bob, &group, &before).await;
            let first = (expected_last - 49).max(1);
            assert_eq!(seqs(&page), (first..=expected_last).collect::<Vec<_>>());
            for message in page["messages"].as_array().unwrap() {
                let seq = message["seq"].as_i64().unwrap();
                assert_eq!(message["content"], format!("m{seq}"));
            }
            assert_eq!(
                page["has_more"],
                first > 1,
                "has_more of the page ending {expected_last}"
            );
            match page["next_cursor"].as_str() {
                Some(cursor) => before = format!("&cursor={cursor}"),
                None => break,
            }
            expected_last = first - 1;
        }
        assert_eq!(expected_last, 30, "the walk reaches seq 1");
    }
    // Forward from anywhere, and past both ends.
    for after in [0, 100, 160, 179, 180, 229] {
        let page = page(&app, &bob, &group, &format!("&after_seq={after}")).await;
        let last = (after + 50).min(230);
        assert_eq!(seqs(&page), ((after + 1)..=last).collect::<Vec<_>>());
        assert_eq!(page["has_more"], last < 230, "after {after}");
    }
    for query in ["&after_seq=230", "&after_seq=5000", "&before_seq=1"] {
        let page = page(&app, &bob, &group, query).await;
        assert_eq!(seqs(&page), Vec::<i64>::new(), "{query}");
        assert_eq!(page["has_more"], false, "{query}");
    }
    let page = page(&app, &bob, &group, "&before_seq=20").await;
    assert_eq!(seqs(&page), (1..=19).collect::<Vec<_>>());
    assert_eq!(page["has_more"], false);
    assert!(
        pages_from(&app, "cache").await + pages_from(&app, "memory").await >= from_cache + 8,
        "the newest pages were served from memory"
    );
}

/// Each reader (this instance and, with Redis, a second one) has the newest page in memory
/// before every change, and sees the change on its next read.
#[tokio::test]
async fn new_messages_reactions_and_deletions_show_at_once_on_every_instance() {
    let app = spawn_app().await;
    let twin = spawn_twin(&app).await;
    let readers: Vec<&TestApp> = std::iter::once(&app).chain(twin.as_ref()).collect();
    let (alice, bob, group) = group_with_messages(&app, 60).await;
    let newest = page(&app, &bob, &group, "").await;
    let id = newest["messages"][49]["id"].as_str().unwrap().to_owned();
    for reader in &readers {
        page(reader, &bob, &group, "").await;
    }

    let sent = app.send_message(&alice, &group, "m61").await;
    for reader in &readers {
        let newest = page(reader, &bob, &group, "").await;
        assert_eq!(newest["messages"][49]["id"], sent["id"]);
    }

    let thumbs = format!("/api/v1/conversations/{group}/messages/{id}/reactions/%F0%9F%91%8D");
    let added = app
        .send(Method::PUT, &thumbs, None, &bob.access_token)
        .await;
    assert_eq!(added.status(), StatusCode::NO_CONTENT);
    for reader in &readers {
        let seen_by_alice = page(reader, &alice, &group, "").await;
        assert_eq!(
            seen_by_alice["messages"][48]["reactions"],
            json!([{"emoji": "👍", "count": 1, "me": false}])
        );
        let seen_by_bob = page(reader, &bob, &group, "").await;
        assert_eq!(seen_by_bob["messages"][48]["reactions"][0]["me"], true);
    }

    let removed = app
        .send(Method::DELETE, &thumbs, None, &bob.access_token)
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    for reader in &readers {
        let newest = page(reader, &alice, &group, "").await;
        assert_eq!(newest["messages"][48]["reactions"], json!([]));
    }

    let path = format!("/api/v1/conversations/{group}/messages/{id}");
    let deleted = app.delete(&path, Some(&alice.access_token)).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    for reader in &readers {
        let newest = page(reader, &bob, &group, "").await;
        assert_eq!(newest["messages"][48]["deleted"], true);
        assert_eq!(newest["messages"][48]["content"], Value::Null);
    }
}

/// A reaction already there, or taking back one never made, changes nothing: the history's version
/// stays, so a window that matched it still does and a reader who checks it is served from
/// memory. (On SQLite an admitted reader is served from memory without that check, so this
/// tells the difference on PostgreSQL.)
#[tokio::test]
async fn a_reaction_that_changes_nothing_keeps_the_page_in_memory() {
    let app = spawn_app().await;
    let (alice, bob, group) = group_with_messages(&app, 60).await;
    let newest = page(&app, &bob, &group, "").await;
    let id = newest["messages"][49]["id"].as_str().unwrap().to_owned();
    let reactions = format!("/api/v1/conversations/{group}/messages/{id}/reactions");
    let (thumbs, heart) = (
        format!("{reactions}/%F0%9F%91%8D"),
        format!("{reactions}/%E2%9D%A4"),
    );
    let added = app
        .send(Method::PUT, &thumbs, None, &bob.access_token)
        .await;
    assert_eq!(added.status(), StatusCode::NO_CONTENT);

    // Until the cache has handled the reaction, a read may refill a window it then drops.
    eventually(
        "a page read after changes that changed nothing served from memory",
        || async {
            let again = app
                .send(Method::PUT, &thumbs, None, &bob.access_token)
                .await;
            assert_eq!(again.status(), StatusCode::NO_CONTENT);
            let absent = app
                .send(Method::DELETE, &heart, None, &bob.access_token)
                .await;
            assert_eq!(absent.status(), StatusCode::NOT_FOUND);
            let from_database = pages_from(&app, "database").await;
            let seen = page(&app, &alice, &group, "").await;
            assert_eq!(
                seen["messages"][49]["reactions"],
                json!([{"emoji": "👍", "count": 1, "me": false}])
            );
            (pages_from(&app, "database").await == from_database).then_some(())
        },
    )
    .await;
}

/// Edits race reads on this instance and, with Redis, on a second one: no read that starts
/// after an edit was acknowledged shows an older text.
#[tokio::test]
async fn an_edit_is_never_served_stale_under_concurrent_edits() {
    let app = spawn_app().await;
    let twin = spawn_twin(&app).await;
    let (alice, bob, group) = group_with_messages(&app, 60).await;
    let newest = page(&app, &bob, &group, "").await;
    let id = newest["messages"][40]["id"].as_str().unwrap().to_owned();
    let acknowledged = Arc::new(AtomicI64::new(0));
    const EDITS: i64 = 40;

    let editor = {
        let (app, alice, acknowledged) = (
            TestApp::remote(app.address.clone()),
            alice.clone(),
            acknowledged.clone(),
        );
        let path = format!("/api/v1/conversations/{group}/messages/{id}");
        tokio::spawn(async move {
            for n in 1..=EDITS {
                let edited = app
                    .patch_json(
                        &path,
                        &json!({"content": format!("v{n}")}),
                        &alice.access_token,
                    )
                    .await;
                assert!(edited.status().is_success(), "edit {n}");
                acknowledged.store(n, Ordering::SeqCst);
            }
        })
    };
    let readers: Vec<&TestApp> = std::iter::once(&app).chain(twin.as_ref()).collect();
    let mut reads = 0;
    loop {
        let done = editor.is_finished();
        for reader in &readers {
            let floor = acknowledged.load(Ordering::SeqCst);
            let page = page(reader, &bob, &group, "").await;
            let content = page["messages"][40]["content"].as_str().unwrap().to_owned();
            let version = content.strip_prefix('v').map_or(0, |n| n.parse().unwrap());
            assert!(
                version >= floor,
                "read {reads} showed {content} after edit {floor} was acknowledged"
            );
            reads += 1;
        }
        if done {
            break;
        }
    }
    editor.await.expect("the editor finished");
    for reader in &readers {
        let page = page(reader, &bob, &group, "").await;
        assert_eq!(page["messages"][40]["content"], format!("v{EDITS}"));
    }
}

/// A reply changes its root's count: a page from memory that holds the root shows it.
#[tokio::test]
async fn a_reply_counts_on_its_root_in_a_page_from_memory() {
    let app = spawn_app().await;
    let twin = spawn_twin(&app).await;
    let readers: Vec<&TestApp> = std::iter::once(&app).chain(twin.as_ref()).collect();
    let (alice, bob, group) = group_with_messages(&app, 60).await;
    let newest = page(&app, &bob, &group, "").await;
    let root = newest["messages"][45]["id"].clone();
    for reader in &readers {
        page(reader, &bob, &group, "").await;
    }
    for n in 1..=2 {
        let path = format!("/api/v1/conversations/{group}/messages");
        let reply = app
            .post_json(
                &path,
                &json!({"content": format!("reply {n}"), "reply_to": root}),
                Some(&bob.access_token),
            )
            .await;
        assert_eq!(reply.status(), StatusCode::CREATED);
        for reader in &readers {
            let newest = page(reader, &alice, &group, "").await;
            let shown = newest["messages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["id"] == root)
                .expect("the root is on the newest page");
            assert_eq!(shown["reply_count"], n, "after reply {n}");
        }
    }
}

/// Reads `page` as `user` until one is served from memory with no statement (only where
/// this instance alone writes the database); returns at once elsewhere.
async fn until_served_from_memory(app: &TestApp, user: &TestUser, group: &str) {
    if !app.embedded() {
        return;
    }
    let served = pages_from(app, "memory").await;
    eventually("a page served from memory", || async {
        let page = page(app, user, group, "").await;
        assert_eq!(page["messages"].as_array().unwrap().len(), 50);
        (pages_from(app, "memory").await > served).then_some(())
    })
    .await;
}

/// A member whose pages came from memory, without a membership check, loses them with the
/// membership: at once after the removal is acknowledged, and still once the cache has read it.
#[tokio::test]
async fn a_removed_member_is_refused_though_their_pages_came_from_memory() {
    let app = spawn_app().await;
    let (alice, bob, group) = group_with_messages(&app, 60).await;
    until_served_from_memory(&app, &bob, &group).await;

    let bob_in = format!("/api/v1/conversations/{group}/participants/{}", bob.id);
    let removed = app.delete(&bob_in, Some(&alice.access_token)).await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let history = format!("/api/v1/conversations/{group}/messages?limit=50");
    let refused = app.get(&history, Some(&bob.access_token)).await;
    assert_eq!(
        refused.status(),
        StatusCode::NOT_FOUND,
        "right after the removal"
    );
    // Alice served from memory again: the cache has handled the removal.
    until_served_from_memory(&app, &alice, &group).await;
    let refused = app.get(&history, Some(&bob.access_token)).await;
    assert_eq!(
        refused.status(),
        StatusCode::NOT_FOUND,
        "once the cache knows"
    );

    let added = app.add_participant(&alice, &group, &bob).await;
    assert!(added.status().is_success(), "{}", added.status());
    until_served_from_memory(&app, &bob, &group).await;
    let newest = page(&app, &bob, &group, "").await;
    assert_eq!(
        seqs(&newest).last(),
        seqs(&page(&app, &alice, &group, "").await).last()
    );
}
