//! A send to a group is judged by the group's kind, remembered from the first send, and the
//! sender's membership is checked as the message is written: these prove that nobody outside
//! the group gets a message in, whichever instance they send through and however soon after
//! they left.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ResponseExt, TestApp, TestUser, spawn_app, spawn_twin};

fn messages_path(group: &str) -> String {
    format!("/api/v1/conversations/{group}/messages")
}

async fn send(app: &TestApp, user: &TestUser, group: &str, body: Value) -> reqwest::Response {
    app.post_json(&messages_path(group), &body, Some(&user.access_token))
        .await
}

/// Asserts that `response` is the not-a-member answer.
async fn refused(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.problem().await.code, "conversation_not_found");
}

/// `by` takes `who` out of `group` (or `who` leaves, when they are the same).
async fn remove(app: &TestApp, group: &str, who: &TestUser, by: &TestUser) {
    let path = format!("/api/v1/conversations/{group}/participants/{}", who.id);
    let removed = app.delete(&path, Some(&by.access_token)).await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
}

async fn contents(app: &TestApp, reader: &TestUser, group: &str) -> Vec<String> {
    let page = app
        .get_ok(
            &format!("{}?limit=100", messages_path(group)),
            &reader.access_token,
        )
        .await;
    let mut contents: Vec<String> = page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["content"].as_str().unwrap_or_default().to_owned())
        .collect();
    contents.sort();
    contents
}

#[tokio::test]
async fn a_member_removed_or_leaving_cannot_send_even_at_once() {
    let app = spawn_app().await;
    let owner = app.register("send_owner").await;
    let bob = app.register("send_bob").await;
    let carol = app.register("send_carol").await;
    let group = app.create_group(&owner, "members", &[&bob, &carol]).await;
    // The first sends make the group's kind known on this instance.
    let keyed = json!({"content": "before", "client_message_id": "bob-1"});
    assert_eq!(
        send(&app, &bob, &group, keyed.clone()).await.status(),
        StatusCode::CREATED
    );
    app.send_message(&carol, &group, "carol before").await;

    remove(&app, &group, &bob, &owner).await;
    refused(send(&app, &bob, &group, json!({"content": "after"})).await).await;
    // A retry of a key used while a member shows nothing either.
    refused(send(&app, &bob, &group, keyed).await).await;

    remove(&app, &group, &carol, &carol).await;
    refused(send(&app, &carol, &group, json!({"content": "carol after"})).await).await;

    assert_eq!(
        contents(&app, &owner, &group).await,
        ["before", "carol before"]
    );
}

#[tokio::test]
async fn a_deleted_group_refuses_a_send_as_not_found() {
    let app = spawn_app().await;
    let owner = app.register("gone_owner").await;
    let bob = app.register("gone_bob").await;
    let group = app.create_group(&owner, "short-lived", &[&bob]).await;
    app.send_message(&bob, &group, "hello").await;

    let deleted = app
        .delete(
            &format!("/api/v1/conversations/{group}"),
            Some(&owner.access_token),
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    refused(send(&app, &bob, &group, json!({"content": "anyone?"})).await).await;
}

#[tokio::test]
async fn a_removed_member_among_busy_senders_gets_nothing_in_and_stops_nobody() {
    let app = spawn_app().await;
    let owner = app.register("busy_owner").await;
    let mut members = Vec::new();
    for i in 0..8 {
        members.push(app.register(&format!("busy_member_{i}")).await);
    }
    let outsider = app.register("busy_removed").await;
    let mut invited: Vec<&TestUser> = members.iter().collect();
    invited.push(&outsider);
    let group = app.create_group(&owner, "busy", &invited).await;
    app.send_message(&outsider, &group, "while a member").await;
    remove(&app, &group, &outsider, &owner).await;

    // Sends stored together in one commit: the refused one must not take the others down.
    let app = &app;
    let group = group.as_str();
    let members_send = members.iter().enumerate().flat_map(|(i, user)| {
        (0..4).map(move |n| async move {
            send(app, user, group, json!({"content": format!("{i}-{n}")}))
                .await
                .status()
        })
    });
    let outsider = &outsider;
    let outsider_sends = (0..8).map(|n| async move {
        send(app, outsider, group, json!({"content": format!("out-{n}")}))
            .await
            .status()
    });
    let (sent, refused_all) = futures_util::future::join(
        futures_util::future::join_all(members_send),
        futures_util::future::join_all(outsider_sends),
    )
    .await;
    assert!(sent.iter().all(|s| *s == StatusCode::CREATED), "{sent:?}");
    assert!(
        refused_all.iter().all(|s| *s == StatusCode::NOT_FOUND),
        "{refused_all:?}"
    );
    let stored = contents(app, &owner, group).await;
    assert_eq!(stored.len(), 1 + 8 * 4, "{stored:?}");
    assert!(!stored.iter().any(|c| c.starts_with("out-")), "{stored:?}");
    let view = app
        .get_ok(
            &format!("/api/v1/conversations/{group}"),
            &owner.access_token,
        )
        .await;
    assert_eq!(view["last_seq"], 1 + 8 * 4, "seqs stay gap-free");
}

/// With PostgreSQL and Redis: removed through one instance, refused at once by the other,
/// which remembers the group and has not necessarily read the removal yet.
#[tokio::test]
async fn a_removal_through_one_instance_is_enforced_at_once_by_the_other() {
    let app = spawn_app().await;
    let Some(twin) = spawn_twin(&app).await else {
        return;
    };
    let owner = app.register("twin_send_owner").await;
    let bob = app.register("twin_send_bob").await;
    for round in 0..5 {
        let group = app
            .create_group(&owner, &format!("twin {round}"), &[&bob])
            .await;
        twin.send_message(&bob, &group, "through the twin").await;
        remove(&app, &group, &bob, &owner).await;
        refused(send(&twin, &bob, &group, json!({"content": "too late"})).await).await;
        assert_eq!(contents(&app, &owner, &group).await, ["through the twin"]);
    }
}
