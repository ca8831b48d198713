use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ResponseExt, TestApp, TestUser, spawn_app, spawn_app_with};

async fn direct(app: &TestApp, from: &TestUser, to: &TestUser) -> reqwest::Response {
    app.post_json(
        "/api/v1/conversations",
        &json!({"kind": "direct", "user_id": to.id}),
        Some(&from.access_token),
    )
    .await
}

#[tokio::test]
async fn a_direct_chat_is_created_once_per_pair() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    let first = direct(&app, &alice, &bob).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = direct(&app, &bob, &alice).await;

    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(first["kind"], "direct");
    assert_eq!(first["participant_count"], 2);
    assert_eq!(first["other_user_id"], bob.id.as_str());
    assert_eq!(again["other_user_id"], alice.id.as_str());
}

#[tokio::test]
async fn direct_chats_respect_blocks_and_contacts_only_settings() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    app.send(
        Method::PUT,
        &format!("/api/v1/users/{}/block", alice.id),
        None,
        &bob.access_token,
    )
    .await;
    app.patch_json(
        "/api/v1/users/me/settings",
        &json!({"privacy": {"direct_messages": "contacts"}}),
        &carol.access_token,
    )
    .await;

    // Blocked or held off by a contacts-only setting: the same answer, so a block cannot be
    // told apart.
    let blocked = direct(&app, &alice, &bob).await;
    assert_eq!(blocked.status(), StatusCode::FORBIDDEN);
    assert_eq!(blocked.problem().await.code, "direct_chat_not_allowed");
    let by_blocker = direct(&app, &bob, &alice).await;
    assert_eq!(by_blocker.status(), StatusCode::FORBIDDEN);
    assert_eq!(by_blocker.problem().await.code, "direct_chat_not_allowed");
    let stranger = direct(&app, &alice, &carol).await;
    assert_eq!(stranger.status(), StatusCode::FORBIDDEN);
    assert_eq!(stranger.problem().await.code, "direct_chat_not_allowed");

    app.post_json(
        "/api/v1/contacts",
        &json!({"user_id": carol.id}),
        Some(&alice.access_token),
    )
    .await;
    app.post_json(
        &format!("/api/v1/contacts/{}/accept", alice.id),
        &json!({}),
        Some(&carol.access_token),
    )
    .await;
    assert_eq!(
        direct(&app, &alice, &carol).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_block_stops_direct_messages_in_an_existing_chat() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat: Value = direct(&app, &alice, &bob).await.json().await.unwrap();
    let path = format!(
        "/api/v1/conversations/{}/messages",
        chat["id"].as_str().unwrap()
    );
    app.send(
        Method::PUT,
        &format!("/api/v1/users/{}/block", alice.id),
        None,
        &bob.access_token,
    )
    .await;

    let response = app
        .post_json(&path, &json!({"content": "hi"}), Some(&alice.access_token))
        .await;

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.problem().await.code, "direct_chat_not_allowed");
}

#[tokio::test]
async fn groups_have_an_owner_members_and_a_size_limit() {
    let app = spawn_app_with(|s| s.conversations.max_group_participants = 3).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;

    let group = app.create_group(&alice, "Book club", &[&bob]).await;
    let view = app
        .get_ok(&format!("/api/v1/conversations/{group}"), &bob.access_token)
        .await;
    assert_eq!(view["title"], "Book club");
    assert_eq!(view["role"], "member");
    assert_eq!(view["participant_count"], 2);

    let add = |users: Vec<String>, token: String| {
        let app = &app;
        let group = group.clone();
        async move {
            app.post_json(
                &format!("/api/v1/conversations/{group}/participants"),
                &json!({"user_ids": users}),
                Some(&token),
            )
            .await
        }
    };
    let by_member = add(vec![carol.id.clone()], bob.access_token.clone()).await;
    assert_eq!(by_member.status(), StatusCode::FORBIDDEN);
    assert_eq!(by_member.problem().await.code, "admin_only");
    let ghost = add(
        vec![uuid::Uuid::now_v7().to_string()],
        alice.access_token.clone(),
    )
    .await;
    assert_eq!(ghost.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let added = add(
        vec![carol.id.clone(), bob.id.clone()],
        alice.access_token.clone(),
    )
    .await;
    assert_eq!(added.status(), StatusCode::OK);
    assert_eq!(
        added.json::<Value>().await.unwrap()["added"],
        json!([carol.id])
    );
    let full = add(vec![dave.id.clone()], alice.access_token.clone()).await;
    assert_eq!(full.status(), StatusCode::CONFLICT);
    assert_eq!(full.problem().await.code, "conversation_full");

    let list = app
        .get_ok(
            &format!("/api/v1/conversations/{group}/participants"),
            &carol.access_token,
        )
        .await;
    let roles: Vec<(&str, &str)> = list["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["user_id"].as_str().unwrap(), p["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        [
            (alice.id.as_str(), "owner"),
            (bob.id.as_str(), "member"),
            (carol.id.as_str(), "member")
        ]
    );
}

#[tokio::test]
async fn roles_follow_the_rules_users_expect() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let admin = app.register("admin").await;
    let member = app.register("member").await;
    let group = app.create_group(&owner, "Team", &[&admin, &member]).await;
    let participant =
        |user: &TestUser| format!("/api/v1/conversations/{group}/participants/{}", user.id);

    let promoted = app
        .patch_json(
            &participant(&admin),
            &json!({"role": "admin"}),
            &owner.access_token,
        )
        .await;
    assert_eq!(promoted.status(), StatusCode::OK);
    assert_eq!(promoted.json::<Value>().await.unwrap()["role"], "admin");

    let admin_demotes_owner = app
        .patch_json(
            &participant(&owner),
            &json!({"role": "member"}),
            &admin.access_token,
        )
        .await;
    assert_eq!(admin_demotes_owner.status(), StatusCode::FORBIDDEN);
    assert_eq!(admin_demotes_owner.problem().await.code, "owner_only");
    let admin_removes_owner = app
        .delete(&participant(&owner), Some(&admin.access_token))
        .await;
    assert_eq!(admin_removes_owner.status(), StatusCode::FORBIDDEN);
    let member_removes_admin = app
        .delete(&participant(&admin), Some(&member.access_token))
        .await;
    assert_eq!(member_removes_admin.status(), StatusCode::FORBIDDEN);

    let last_owner_leaves = app
        .delete(&participant(&owner), Some(&owner.access_token))
        .await;
    assert_eq!(last_owner_leaves.status(), StatusCode::CONFLICT);
    assert_eq!(last_owner_leaves.problem().await.code, "last_owner");
    let last_owner_steps_down = app
        .patch_json(
            &participant(&owner),
            &json!({"role": "admin"}),
            &owner.access_token,
        )
        .await;
    assert_eq!(last_owner_steps_down.problem().await.code, "last_owner");

    let kicked = app
        .delete(&participant(&member), Some(&admin.access_token))
        .await;
    assert_eq!(kicked.status(), StatusCode::NO_CONTENT);
    let gone = app
        .get(
            &format!("/api/v1/conversations/{group}"),
            Some(&member.access_token),
        )
        .await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);

    app.patch_json(
        &participant(&admin),
        &json!({"role": "owner"}),
        &owner.access_token,
    )
    .await;
    let handed_over = app
        .delete(&participant(&owner), Some(&owner.access_token))
        .await;
    assert_eq!(handed_over.status(), StatusCode::NO_CONTENT);
    let view = app
        .get_ok(
            &format!("/api/v1/conversations/{group}"),
            &admin.access_token,
        )
        .await;
    assert_eq!(view["role"], "owner");
    assert_eq!(view["participant_count"], 1);
}

#[tokio::test]
async fn admins_edit_groups_owners_delete_them_and_direct_chats_stay_fixed() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let member = app.register("member").await;
    let group = app.create_group(&owner, "Team", &[&member]).await;
    let path = format!("/api/v1/conversations/{group}");

    let by_member = app
        .patch_json(&path, &json!({"title": "Mine now"}), &member.access_token)
        .await;
    assert_eq!(by_member.problem().await.code, "admin_only");
    let renamed = app
        .patch_json(
            &path,
            &json!({"title": "Team 2", "description": "Plans"}),
            &owner.access_token,
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let view = app.get_ok(&path, &member.access_token).await;
    assert_eq!(
        (view["title"].as_str(), view["description"].as_str()),
        (Some("Team 2"), Some("Plans"))
    );
    let invalid = app
        .patch_json(&path, &json!({"title": ""}), &owner.access_token)
        .await;
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(
        app.delete(&path, Some(&member.access_token))
            .await
            .problem()
            .await
            .code,
        "owner_only"
    );
    assert_eq!(
        app.delete(&path, Some(&owner.access_token)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&path, Some(&owner.access_token)).await.status(),
        StatusCode::NOT_FOUND
    );

    let chat: Value = direct(&app, &owner, &member).await.json().await.unwrap();
    let direct_path = format!("/api/v1/conversations/{}", chat["id"].as_str().unwrap());
    let rename = app
        .patch_json(&direct_path, &json!({"title": "x"}), &owner.access_token)
        .await;
    assert_eq!(rename.problem().await.code, "direct_chat_is_fixed");
}

#[tokio::test]
async fn only_owners_and_admins_post_in_channels() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let reader = app.register("reader").await;
    let body = json!({"kind": "channel", "title": "News", "member_ids": [reader.id]});
    let channel: Value = app
        .post_json("/api/v1/conversations", &body, Some(&owner.access_token))
        .await
        .json()
        .await
        .unwrap();
    let path = format!(
        "/api/v1/conversations/{}/messages",
        channel["id"].as_str().unwrap()
    );

    let by_reader = app
        .post_json(&path, &json!({"content": "hi"}), Some(&reader.access_token))
        .await;
    let by_owner = app
        .post_json(
            &path,
            &json!({"content": "news"}),
            Some(&owner.access_token),
        )
        .await;

    assert_eq!(by_reader.status(), StatusCode::FORBIDDEN);
    assert_eq!(by_reader.problem().await.code, "channel_is_admin_only");
    assert_eq!(by_owner.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn invalid_conversations_are_refused() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let cases = [
        (json!({"kind": "direct"}), "user_id"),
        (json!({"kind": "direct", "user_id": alice.id}), "user_id"),
        (json!({"kind": "group"}), "title"),
        (json!({"kind": "group", "title": "x".repeat(101)}), "title"),
        (
            json!({"kind": "group", "title": "ok", "member_ids": [uuid::Uuid::now_v7()]}),
            "member_ids",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .post_json("/api/v1/conversations", &body, Some(&alice.access_token))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        assert_eq!(response.problem().await.fields, [field], "{body}");
    }
    let bad_kind = app
        .post_json(
            "/api/v1/conversations",
            &json!({"kind": "party", "title": "x"}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(bad_kind.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let list = app
        .get_ok("/api/v1/conversations", &alice.access_token)
        .await;
    assert!(list["conversations"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_chat_list_orders_by_activity_with_previews_unread_counts_and_mute() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let older = app.create_group(&alice, "Older", &[&bob]).await;
    let newer = app.create_group(&alice, "Newer", &[&bob]).await;
    let chat: Value = direct(&app, &bob, &alice).await.json().await.unwrap();
    let direct_id = chat["id"].as_str().unwrap().to_owned();

    app.send_message(&alice, &older, "mine").await;
    app.send_message(&bob, &older, "one").await;
    let deleted = app.send_message(&bob, &older, "two").await;
    app.send_message(&bob, &older, "three").await;
    app.delete(
        &format!(
            "/api/v1/conversations/{older}/messages/{}",
            deleted["id"].as_str().unwrap()
        ),
        Some(&bob.access_token),
    )
    .await;
    app.send_message(&bob, &direct_id, "psst").await;
    app.send(
        Method::PUT,
        &format!("/api/v1/conversations/{direct_id}/mute"),
        None,
        &alice.access_token,
    )
    .await;

    let list = app
        .get_ok("/api/v1/conversations", &alice.access_token)
        .await;

    let items = list["conversations"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [direct_id.as_str(), older.as_str(), newer.as_str()]);
    assert_eq!(items[0]["unread_count"], 1);
    assert_eq!(items[0]["muted"], true);
    assert_eq!(items[0]["other_user"]["username"], "bob");
    assert_eq!(items[0]["last_message"]["content"], "psst");
    assert_eq!(items[1]["unread_count"], 2, "not mine, not deleted");
    assert_eq!(items[1]["last_message"]["content"], "three");
    assert_eq!(items[2]["last_message"], Value::Null);
    assert_eq!(items[2]["unread_count"], 0);

    app.post_json(
        &format!("/api/v1/conversations/{older}/read"),
        &json!({"seq": 2}),
        Some(&alice.access_token),
    )
    .await;
    let list = app
        .get_ok("/api/v1/conversations", &alice.access_token)
        .await;
    assert_eq!(list["conversations"][1]["unread_count"], 1);
    // Writing marks everything before as read, for the writer.
    app.send_message(&alice, &older, "caught up").await;
    let list = app
        .get_ok("/api/v1/conversations", &alice.access_token)
        .await;
    assert_eq!(list["conversations"][0]["id"], older.as_str());
    assert_eq!(list["conversations"][0]["unread_count"], 0);
    let bobs = app.get_ok("/api/v1/conversations", &bob.access_token).await;
    assert_eq!(
        bobs["conversations"][0]["unread_count"], 1,
        "alice's message is unread for bob"
    );
}

#[tokio::test]
async fn the_chat_list_pages_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut expected = Vec::new();
    for i in 0..7 {
        expected.push(app.create_group(&alice, &format!("group {i}"), &[]).await);
    }
    expected.reverse();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/conversations?limit=3&cursor={c}"),
            None => "/api/v1/conversations?limit=3".to_owned(),
        };
        let page = app.get_ok(&path, &alice.access_token).await;
        seen.extend(
            page["conversations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }

    assert_eq!(seen, expected);
    let bad = app
        .get(
            "/api/v1/conversations?cursor=nope",
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
