use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ResponseExt, TestApp, TestUser, eventually, spawn_app, spawn_app_with};

fn seqs(page: &Value) -> Vec<i64> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect()
}

async fn send(
    app: &TestApp,
    user: &TestUser,
    conversation: &str,
    body: Value,
) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/conversations/{conversation}/messages"),
        &body,
        Some(&user.access_token),
    )
    .await
}

#[tokio::test]
async fn concurrent_senders_get_gap_free_strictly_increasing_seqs() {
    let app = spawn_app().await;
    let mut users = Vec::new();
    for i in 0..20 {
        users.push(app.register(&format!("sender_{i}")).await);
    }
    let others: Vec<&TestUser> = users[1..].iter().collect();
    let group = app.create_group(&users[0], "busy", &others).await;

    let app = &app;
    let group = group.as_str();
    let sends = users.iter().enumerate().flat_map(|(i, user)| {
        (0..3).map(move |n| async move {
            send(app, user, group, json!({"content": format!("{i}-{n}")}))
                .await
                .status()
        })
    });
    let statuses = futures_util::future::join_all(sends).await;

    assert!(
        statuses.iter().all(|s| *s == StatusCode::CREATED),
        "{statuses:?}"
    );
    let page = app
        .get_ok(
            &format!("/api/v1/conversations/{group}/messages?limit=100"),
            &users[0].access_token,
        )
        .await;
    assert_eq!(seqs(&page), (1..=60).collect::<Vec<_>>());
    let view = app
        .get_ok(
            &format!("/api/v1/conversations/{group}"),
            &users[5].access_token,
        )
        .await;
    assert_eq!(view["last_seq"], 60);
}

#[tokio::test]
async fn a_retried_send_returns_the_original_message() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let body = json!({"content": "hello", "client_message_id": "c-1"});

    let first = send(&app, &alice, &group, body.clone()).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let retry = send(
        &app,
        &alice,
        &group,
        json!({"content": "hello (edited by a buggy client)", "client_message_id": "c-1"}),
    )
    .await;
    assert_eq!(retry.status(), StatusCode::OK);
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry["id"], first["id"]);
    assert_eq!(retry["content"], "hello");
    assert_eq!(first["client_message_id"], "c-1");

    // The key is per sender: bob's "c-1" is his own message.
    assert_eq!(
        send(&app, &bob, &group, body.clone()).await.status(),
        StatusCode::CREATED
    );
    let racing = futures_util::future::join_all((0..8).map(|_| {
        send(
            &app,
            &alice,
            &group,
            json!({"content": "race", "client_message_id": "c-2"}),
        )
    }))
    .await;
    let created = racing
        .iter()
        .filter(|r| r.status() == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1);
    assert!(racing.iter().all(|r| r.status().is_success()));
    let page = app
        .get_ok(
            &format!("/api/v1/conversations/{group}/messages"),
            &alice.access_token,
        )
        .await;
    assert_eq!(seqs(&page), [1, 2, 3]);
}

#[tokio::test]
async fn history_pages_both_ways_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let group = app.create_group(&alice, "g", &[]).await;
    for i in 1..=25 {
        app.send_message(&alice, &group, &format!("m{i}")).await;
    }
    let path = |query: &str| format!("/api/v1/conversations/{group}/messages?{query}");

    let newest = app.get_ok(&path("limit=10"), &alice.access_token).await;
    assert_eq!(seqs(&newest), (16..=25).collect::<Vec<_>>());
    assert_eq!(newest["has_more"], true);

    let mut backwards = seqs(&newest);
    let mut before = 16;
    loop {
        let page = app
            .get_ok(
                &path(&format!("before_seq={before}&limit=10")),
                &alice.access_token,
            )
            .await;
        let mut page_seqs = seqs(&page);
        before = page_seqs[0];
        page_seqs.extend(backwards);
        backwards = page_seqs;
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(backwards, (1..=25).collect::<Vec<_>>());

    let mut forwards = Vec::new();
    let mut after = 0;
    loop {
        let page = app
            .get_ok(
                &path(&format!("after_seq={after}&limit=7")),
                &alice.access_token,
            )
            .await;
        forwards.extend(seqs(&page));
        after = *forwards.last().unwrap();
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(forwards, (1..=25).collect::<Vec<_>>());
    let between = app
        .get_ok(&path("after_seq=5&before_seq=9"), &alice.access_token)
        .await;
    assert_eq!(seqs(&between), [6, 7, 8]);
    assert_eq!(between["messages"][0]["content"], "m6");
}

#[tokio::test]
async fn only_the_author_edits_and_deleted_content_disappears_everywhere() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&owner, "g", &[&alice, &bob]).await;
    let message = app.send_message(&alice, &group, "typo hre").await;
    let id = message["id"].as_str().unwrap();
    let path = format!("/api/v1/conversations/{group}/messages/{id}");

    let by_bob = app
        .patch_json(&path, &json!({"content": "hacked"}), &bob.access_token)
        .await;
    assert_eq!(by_bob.status(), StatusCode::FORBIDDEN);
    assert_eq!(by_bob.problem().await.code, "not_author");
    let edited = app
        .patch_json(&path, &json!({"content": "typo here"}), &alice.access_token)
        .await;
    assert_eq!(edited.status(), StatusCode::OK);
    let edited: Value = edited.json().await.unwrap();
    assert_eq!(edited["content"], "typo here");
    assert!(edited["edited_at"].is_string());
    assert_eq!(edited["seq"], message["seq"]);

    assert_eq!(
        app.delete(&path, Some(&bob.access_token)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&path, Some(&owner.access_token)).await.status(),
        StatusCode::NO_CONTENT,
        "admins moderate"
    );
    assert_eq!(
        app.delete(&path, Some(&alice.access_token)).await.status(),
        StatusCode::NO_CONTENT,
        "idempotent"
    );

    let page = app
        .get_ok(
            &format!("/api/v1/conversations/{group}/messages"),
            &bob.access_token,
        )
        .await;
    assert_eq!(page["messages"][0]["content"], Value::Null);
    assert_eq!(page["messages"][0]["deleted"], true);
    assert_eq!(page["messages"][0]["seq"], 1);
    let after_delete = app
        .patch_json(&path, &json!({"content": "back"}), &alice.access_token)
        .await;
    assert_eq!(after_delete.status(), StatusCode::CONFLICT);
    let found = app
        .get_ok("/api/v1/messages/search?q=typo", &alice.access_token)
        .await;
    assert!(
        found["results"].as_array().unwrap().is_empty(),
        "deleted text is not searchable"
    );
}

#[tokio::test]
async fn reactions_count_once_per_user_and_emoji() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let message = app.send_message(&alice, &group, "react to me").await;
    let base = format!(
        "/api/v1/conversations/{group}/messages/{}/reactions",
        message["id"].as_str().unwrap()
    );
    let thumbs = "%F0%9F%91%8D";
    let heart = "%E2%9D%A4%EF%B8%8F";

    for (user, emoji) in [
        (&alice, thumbs),
        (&bob, thumbs),
        (&bob, thumbs),
        (&bob, heart),
    ] {
        let response = app
            .send(
                Method::PUT,
                &format!("{base}/{emoji}"),
                None,
                &user.access_token,
            )
            .await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }

    let page = app
        .get_ok(
            &format!("/api/v1/conversations/{group}/messages"),
            &alice.access_token,
        )
        .await;
    assert_eq!(
        page["messages"][0]["reactions"],
        json!([{"emoji": "👍", "count": 2, "me": true}, {"emoji": "❤️", "count": 1, "me": false}])
    );
    let removed = app
        .send(
            Method::DELETE,
            &format!("{base}/{thumbs}"),
            None,
            &bob.access_token,
        )
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let again = app
        .send(
            Method::DELETE,
            &format!("{base}/{thumbs}"),
            None,
            &bob.access_token,
        )
        .await;
    assert_eq!(again.problem().await.code, "reaction_not_found");
    let page = app
        .get_ok(
            &format!("/api/v1/conversations/{group}/messages"),
            &bob.access_token,
        )
        .await;
    assert_eq!(
        page["messages"][0]["reactions"][0],
        json!({"emoji": "👍", "count": 1, "me": false})
    );
    let not_emoji = app
        .send(Method::PUT, &format!("{base}/abc"), None, &bob.access_token)
        .await;
    assert_eq!(not_emoji.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn replies_form_threads_and_mentions_must_be_participants() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let outsider = app.register("outsider").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let root = app.send_message(&alice, &group, "root").await;
    let root_id = root["id"].as_str().unwrap();
    app.send_message(&bob, &group, "unrelated").await;

    for text in ["first reply", "second reply"] {
        let reply = send(
            &app,
            &bob,
            &group,
            json!({"content": text, "reply_to": root_id, "mentions": [alice.id]}),
        )
        .await;
        assert_eq!(reply.status(), StatusCode::CREATED);
        let reply: Value = reply.json().await.unwrap();
        assert_eq!(reply["reply_to"], root_id);
        assert_eq!(reply["mentions"], json!([alice.id]));
    }

    let thread = app
        .get_ok(
            &format!("/api/v1/conversations/{group}/messages/{root_id}/thread"),
            &alice.access_token,
        )
        .await;
    assert_eq!(thread["root"]["reply_count"], 2);
    let replies: Vec<&str> = thread["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(replies, ["first reply", "second reply"]);

    let stranger = send(
        &app,
        &bob,
        &group,
        json!({"content": "hey", "mentions": [outsider.id]}),
    )
    .await;
    assert_eq!(stranger.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stranger.problem().await.fields, ["mentions"]);
    let elsewhere = send(
        &app,
        &bob,
        &group,
        json!({"content": "hey", "reply_to": uuid::Uuid::now_v7()}),
    )
    .await;
    assert_eq!(elsewhere.problem().await.fields, ["reply_to"]);
}

#[tokio::test]
async fn read_markers_only_move_forward_and_drive_receipts() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let group = app.create_group(&alice, "g", &[&bob, &carol]).await;
    let first = app.send_message(&alice, &group, "one").await;
    app.send_message(&alice, &group, "two").await;
    let read = |user: &TestUser, seq: i64| {
        let app = &app;
        let path = format!("/api/v1/conversations/{group}/read");
        let token = user.access_token.clone();
        async move {
            app.post_json(&path, &json!({"seq": seq}), Some(&token))
                .await
        }
    };

    assert_eq!(
        read(&bob, 2).await.json::<Value>().await.unwrap()["read_seq"],
        2
    );
    assert_eq!(
        read(&bob, 1).await.json::<Value>().await.unwrap()["read_seq"],
        2,
        "never backwards"
    );
    let delivered = app
        .post_json(
            &format!("/api/v1/conversations/{group}/delivered"),
            &json!({"seq": 1}),
            Some(&carol.access_token),
        )
        .await;
    assert_eq!(delivered.json::<Value>().await.unwrap()["delivered_seq"], 1);
    for bad in [0, 3, -1] {
        let response = read(&bob, bad).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(response.problem().await.fields, ["seq"]);
    }

    let path = format!(
        "/api/v1/conversations/{group}/messages/{}/receipts",
        first["id"].as_str().unwrap()
    );
    let receipts = app.get_ok(&path, &alice.access_token).await;
    let mut rows: Vec<(String, bool, bool)> = receipts["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["user_id"].as_str().unwrap().to_owned(),
                r["delivered_at"].is_string(),
                r["read_at"].is_string(),
            )
        })
        .collect();
    rows.sort();
    let mut expected = vec![
        (bob.id.clone(), true, true),
        (carol.id.clone(), true, false),
    ];
    expected.sort();
    assert_eq!(rows, expected);
    let conversation = app
        .get_ok(&format!("/api/v1/conversations/{group}"), &bob.access_token)
        .await;
    assert_eq!(
        (
            conversation["read_seq"].as_i64(),
            conversation["delivered_seq"].as_i64()
        ),
        (Some(2), Some(2))
    );
}

#[tokio::test]
async fn search_finds_words_only_in_the_callers_conversations() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let eve = app.register("eve").await;
    let shared = app.create_group(&alice, "shared", &[&bob]).await;
    let private = app.create_group(&eve, "eve only", &[]).await;
    let other = app.create_group(&alice, "other", &[]).await;
    app.send_message(&alice, &shared, "The quarterly budget meeting is Tuesday")
        .await;
    app.send_message(&bob, &shared, "lunch?").await;
    app.send_message(&eve, &private, "secret budget numbers")
        .await;
    app.send_message(&alice, &other, "budget draft attached")
        .await;

    let found = app
        .get_ok("/api/v1/messages/search?q=Budget", &alice.access_token)
        .await;
    let mut texts: Vec<&str> = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    texts.sort();
    assert_eq!(
        texts,
        [
            "The quarterly budget meeting is Tuesday",
            "budget draft attached"
        ]
    );

    let scoped = app
        .get_ok(
            &format!("/api/v1/messages/search?q=budget%20meeting&conversation_id={shared}"),
            &bob.access_token,
        )
        .await;
    assert_eq!(scoped["results"].as_array().unwrap().len(), 1);
    let eves = app
        .get_ok("/api/v1/messages/search?q=budget", &eve.access_token)
        .await;
    assert_eq!(eves["results"][0]["content"], "secret budget numbers");
    assert_eq!(eves["results"].as_array().unwrap().len(), 1);
    let peek = app
        .get(
            &format!("/api/v1/messages/search?q=budget&conversation_id={shared}"),
            Some(&eve.access_token),
        )
        .await;
    assert_eq!(peek.status(), StatusCode::NOT_FOUND);
    let odd = app
        .get_ok(
            "/api/v1/messages/search?q=%22%29%28*%20OR%20NEAR",
            &alice.access_token,
        )
        .await;
    assert!(odd["results"].is_array());
    let blank = app
        .get("/api/v1/messages/search?q=%20", Some(&alice.access_token))
        .await;
    assert_eq!(blank.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn retention_soft_deletes_old_messages() {
    let app = spawn_app_with(|s| {
        s.messages.retention_secs = 1;
        s.messages.retention_interval_secs = 1;
    })
    .await;
    let alice = app.register("alice").await;
    let group = app.create_group(&alice, "g", &[]).await;
    app.send_message(&alice, &group, "ephemeral").await;

    let path = format!("/api/v1/conversations/{group}/messages");
    let page = eventually("the message expires", || async {
        let page = app.get_ok(&path, &alice.access_token).await;
        (page["messages"][0]["deleted"] == true).then_some(page)
    })
    .await;
    assert_eq!(page["messages"][0]["content"], Value::Null);
    assert_eq!(page["messages"][0]["seq"], 1, "the seq stays");
}

#[tokio::test]
async fn an_outsider_gets_not_found_on_every_conversation_endpoint() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mallory = app.register("mallory").await;
    let group = app.create_group(&alice, "private", &[]).await;
    let message = app.send_message(&alice, &group, "secret").await;
    let m = message["id"].as_str().unwrap();
    let c = format!("/api/v1/conversations/{group}");
    let thumbs = "%F0%9F%91%8D";
    let requests: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, c.clone(), None),
        (Method::PATCH, c.clone(), Some(json!({"title": "mine"}))),
        (Method::DELETE, c.clone(), None),
        (Method::GET, format!("{c}/participants"), None),
        (
            Method::POST,
            format!("{c}/participants"),
            Some(json!({"user_ids": [mallory.id]})),
        ),
        (
            Method::DELETE,
            format!("{c}/participants/{}", alice.id),
            None,
        ),
        (
            Method::DELETE,
            format!("{c}/participants/{}", mallory.id),
            None,
        ),
        (
            Method::PATCH,
            format!("{c}/participants/{}", mallory.id),
            Some(json!({"role": "owner"})),
        ),
        (Method::PUT, format!("{c}/mute"), None),
        (Method::DELETE, format!("{c}/mute"), None),
        (Method::GET, format!("{c}/messages"), None),
        (
            Method::POST,
            format!("{c}/messages"),
            Some(json!({"content": "hi"})),
        ),
        (
            Method::PATCH,
            format!("{c}/messages/{m}"),
            Some(json!({"content": "x"})),
        ),
        (Method::DELETE, format!("{c}/messages/{m}"), None),
        (
            Method::PUT,
            format!("{c}/messages/{m}/reactions/{thumbs}"),
            None,
        ),
        (
            Method::DELETE,
            format!("{c}/messages/{m}/reactions/{thumbs}"),
            None,
        ),
        (Method::GET, format!("{c}/messages/{m}/thread"), None),
        (Method::GET, format!("{c}/messages/{m}/receipts"), None),
        (Method::POST, format!("{c}/read"), Some(json!({"seq": 1}))),
        (
            Method::POST,
            format!("{c}/delivered"),
            Some(json!({"seq": 1})),
        ),
        (
            Method::GET,
            format!("/api/v1/messages/search?q=secret&conversation_id={group}"),
            None,
        ),
    ];
    let nowhere = format!("/api/v1/conversations/{}", uuid::Uuid::now_v7());

    for (method, path, body) in requests {
        let response = app
            .send(method.clone(), &path, body.as_ref(), &mallory.access_token)
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(
            response.problem().await.code,
            "conversation_not_found",
            "{method} {path}"
        );
    }
    let missing = app.get(&nowhere, Some(&mallory.access_token)).await;
    assert_eq!(
        missing.problem().await.code,
        "conversation_not_found",
        "absent and forbidden look the same"
    );
    let found = app
        .get_ok("/api/v1/messages/search?q=secret", &mallory.access_token)
        .await;
    assert!(found["results"].as_array().unwrap().is_empty());
    let page = app
        .get_ok(&format!("{c}/messages"), &alice.access_token)
        .await;
    assert_eq!(seqs(&page), [1]);
    assert_eq!(page["messages"][0]["content"], "secret");
    assert!(
        page["messages"][0]["reactions"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn bad_message_input_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let group = app.create_group(&alice, "g", &[]).await;
    let cases = [
        (json!({"content": ""}), "content"),
        (json!({"content": "   "}), "content"),
        (json!({"content": "x".repeat(4001)}), "content"),
        (
            json!({"content": "ok", "client_message_id": ""}),
            "client_message_id",
        ),
        (
            json!({"content": "ok", "client_message_id": "has space"}),
            "client_message_id",
        ),
    ];
    for (body, field) in cases {
        let response = send(&app, &alice, &group, body.clone()).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body:.80}"
        );
        assert_eq!(response.problem().await.fields, [field]);
    }
    let wrong_type = send(&app, &alice, &group, json!({"content": 42})).await;
    assert_eq!(wrong_type.status(), StatusCode::UNPROCESSABLE_ENTITY);
    for query in [
        "limit=0",
        "limit=101",
        "before_seq=0",
        "after_seq=-1",
        "limit=abc",
    ] {
        let response = app
            .get(
                &format!("/api/v1/conversations/{group}/messages?{query}"),
                Some(&alice.access_token),
            )
            .await;
        assert!(response.status().is_client_error(), "{query}");
        response.problem().await;
    }
    let bad_id = app
        .get(
            "/api/v1/conversations/not-a-uuid/messages",
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(bad_id.status(), StatusCode::BAD_REQUEST);
    let page = app
        .get_ok(
            &format!("/api/v1/conversations/{group}/messages"),
            &alice.access_token,
        )
        .await;
    assert!(page["messages"].as_array().unwrap().is_empty());
    let view = app
        .get_ok(
            &format!("/api/v1/conversations/{group}"),
            &alice.access_token,
        )
        .await;
    assert_eq!(view["last_seq"], 0, "refusals took no seq");
}

#[tokio::test]
async fn a_message_carries_at_most_twenty_different_emoji() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let message = app.send_message(&alice, &group, "react to me").await;
    let base = format!(
        "/api/v1/conversations/{group}/messages/{}/reactions",
        message["id"].as_str().unwrap()
    );
    let react = |user: &TestUser, emoji: char| {
        let path = format!("{base}/{}", urlencode(&emoji.to_string()));
        let (app, token) = (&app, user.access_token.clone());
        async move { app.send(Method::PUT, &path, None, &token).await }
    };
    // Twenty different faces, U+1F600 on.
    let faces: Vec<char> = (0..20)
        .map(|i| char::from_u32(0x1F600 + i).unwrap())
        .collect();
    for face in &faces {
        assert_eq!(react(&alice, *face).await.status(), StatusCode::NO_CONTENT);
    }

    let refused = react(&bob, '\u{1F44D}').await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert_eq!(refused.problem().await.code, "too_many_reactions");
    // One already there can still be joined.
    assert_eq!(react(&bob, faces[0]).await.status(), StatusCode::NO_CONTENT);

    let page = app
        .get_ok(
            &format!("/api/v1/conversations/{group}/messages"),
            &alice.access_token,
        )
        .await;
    let reactions = page["messages"][0]["reactions"]
        .as_array()
        .expect("reactions");
    assert_eq!(reactions.len(), 20);
    assert_eq!(reactions[0]["count"], 2);
}

#[tokio::test]
async fn a_reaction_is_an_emoji_of_the_unicode_list() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let message = app.send_message(&alice, &group, "react to me").await;
    let base = format!(
        "/api/v1/conversations/{group}/messages/{}/reactions",
        message["id"].as_str().unwrap()
    );
    let react = |user: &TestUser, emoji: &str| {
        let path = format!("{base}/{}", urlencode(emoji));
        let (app, token) = (&app, user.access_token.clone());
        async move { app.send(Method::PUT, &path, None, &token).await }
    };

    // Symbols, private-use, lone modifiers and halves of a flag are not emoji.
    for bad in ["→", "★", "\u{E000}", "\u{1F3FD}", "🇫", "👍👍", "\u{200D}"] {
        let refused = react(&alice, bad).await;
        assert_eq!(
            refused.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad:?}"
        );
        assert_eq!(refused.problem().await.fields, ["emoji"], "{bad:?}");
    }
    for good in ["🇫🇷", "👍🏽", "❤"] {
        assert_eq!(
            react(&alice, good).await.status(),
            StatusCode::NO_CONTENT,
            "{good}"
        );
    }
    // The heart without its variation selector is the same reaction as with it.
    assert_eq!(react(&bob, "❤️").await.status(), StatusCode::NO_CONTENT);

    let page = app
        .get_ok(
            &format!("/api/v1/conversations/{group}/messages"),
            &alice.access_token,
        )
        .await;
    let reactions = page["messages"][0]["reactions"]
        .as_array()
        .expect("reactions");
    assert_eq!(reactions.len(), 3, "{reactions:?}");
    let heart = reactions
        .iter()
        .find(|r| r["emoji"] == "❤️")
        .expect("one heart");
    assert_eq!(heart["count"], 2);
}

fn urlencode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}
