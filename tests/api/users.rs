use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ResponseExt, spawn_app};

#[tokio::test]
async fn the_own_profile_shows_the_email_and_updates_partially() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let avatar = crate::avatars::upload(&app, &alice, &crate::avatars::png(1)).await;

    let me = app.get_ok("/api/v1/users/me", &alice.access_token).await;
    assert_eq!(me["email"], "alice@example.com");
    assert_eq!(me["bio"], "");
    assert_eq!(me["avatar_id"], Value::Null);

    let changes = json!({"display_name": "Alice A.", "bio": "Reads.\nWrites.", "status_text": "busy", "avatar_id": avatar});
    let response = app
        .patch_json("/api/v1/users/me", &changes, &alice.access_token)
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let only_status = app
        .patch_json(
            "/api/v1/users/me",
            &json!({"status_text": ""}),
            &alice.access_token,
        )
        .await;
    assert_eq!(only_status.status(), StatusCode::OK);
    let me = app.get_ok("/api/v1/users/me", &alice.access_token).await;
    assert_eq!(me["display_name"], "Alice A.");
    assert_eq!(me["bio"], "Reads.\nWrites.");
    assert_eq!(me["status_text"], "");
    assert_eq!(me["avatar_id"], avatar);

    app.patch_json(
        "/api/v1/users/me",
        &json!({"avatar_id": null}),
        &alice.access_token,
    )
    .await;
    assert_eq!(
        app.get_ok("/api/v1/users/me", &alice.access_token).await["avatar_id"],
        Value::Null
    );
}

#[tokio::test]
async fn others_see_the_public_profile_fresh_after_each_change() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let path = format!("/api/v1/users/{}", alice.id);

    let before = app.get_ok(&path, &bob.access_token).await;
    app.patch_json(
        "/api/v1/users/me",
        &json!({"display_name": "Alice Renamed"}),
        &alice.access_token,
    )
    .await;
    let after = app.get_ok(&path, &bob.access_token).await;

    assert_eq!(before["display_name"], "alice");
    assert_eq!(after["display_name"], "Alice Renamed");
    assert!(after.get("email").is_none(), "the email is private");
}

#[tokio::test]
async fn invalid_profile_changes_name_every_field_and_change_nothing() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bad = json!({"display_name": "", "bio": "x".repeat(501), "status_text": "two\nlines", "avatar_id": "not-a-uuid"});

    let response = app
        .patch_json("/api/v1/users/me", &bad, &alice.access_token)
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.problem().await.code, "invalid_body");

    let bad = json!({"display_name": "", "bio": "x".repeat(501), "status_text": "two\nlines"});
    let response = app
        .patch_json("/api/v1/users/me", &bad, &alice.access_token)
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields = response.problem().await.fields;
    fields.sort();
    assert_eq!(fields, ["bio", "display_name", "status_text"]);
    let me = app.get_ok("/api/v1/users/me", &alice.access_token).await;
    assert_eq!(
        (me["display_name"].as_str(), me["bio"].as_str()),
        (Some("alice"), Some(""))
    );
}

#[tokio::test]
async fn nobody_can_edit_someone_elses_profile_or_settings() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mallory = app.register("mallory").await;

    for path in [
        format!("/api/v1/users/{}", alice.id),
        format!("/api/v1/users/{}/settings", alice.id),
    ] {
        let response = app
            .patch_json(
                &path,
                &json!({"display_name": "pwned"}),
                &mallory.access_token,
            )
            .await;
        assert!(response.status().is_client_error(), "{path}");
        response.problem().await;
    }

    assert_eq!(
        app.get_ok("/api/v1/users/me", &alice.access_token).await["display_name"],
        "alice"
    );
}

#[tokio::test]
async fn unknown_users_are_not_found() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let response = app
        .get(
            &format!("/api/v1/users/{}", uuid::Uuid::now_v7()),
            Some(&alice.access_token),
        )
        .await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.problem().await.code, "user_not_found");
}

fn usernames(page: &Value) -> Vec<String> {
    page["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn search_matches_username_or_display_name_prefixes_in_any_case() {
    let app = spawn_app().await;
    let me = app.register("searcher").await;
    let anna = app.register("anna").await;
    app.register("annabel").await;
    app.register("bob").await;
    let zed = app.register("zed").await;
    app.patch_json(
        "/api/v1/users/me",
        &json!({"display_name": "Ännika Zed"}),
        &zed.access_token,
    )
    .await;
    app.patch_json(
        "/api/v1/users/me",
        &json!({"display_name": "Anna Searcher"}),
        &me.access_token,
    )
    .await;

    let by_name = app.get_ok("/api/v1/users?q=ANN", &me.access_token).await;
    let by_display_name = app
        .get_ok("/api/v1/users?q=%C3%84nni", &me.access_token)
        .await;
    let none = app.get_ok("/api/v1/users?q=nobody", &me.access_token).await;

    assert_eq!(
        usernames(&by_name),
        ["anna", "annabel"],
        "ordered by username, never the caller"
    );
    assert_eq!(usernames(&by_display_name), ["zed"]);
    assert!(usernames(&none).is_empty());
    assert!(by_name.get("next_cursor").is_none());
    assert_eq!(by_name["users"][0]["id"], anna.id.as_str());
}

#[tokio::test]
async fn search_pages_through_every_match_exactly_once() {
    let app = spawn_app().await;
    let me = app.register("searcher").await;
    let mut expected = Vec::new();
    for i in 0..7 {
        let name = format!("page_user_{i}");
        app.register(&name).await;
        expected.push(name);
    }

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?q=page_&limit=3&cursor={c}"),
            None => "/api/v1/users?q=page_&limit=3".to_owned(),
        };
        let page = app.get_ok(&path, &me.access_token).await;
        assert!(usernames(&page).len() <= 3);
        seen.extend(usernames(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }

    assert_eq!(seen, expected);
}

#[tokio::test]
async fn bad_search_queries_are_refused() {
    let app = spawn_app().await;
    let me = app.register("searcher").await;

    for (query, field) in [
        ("q=", "q"),
        ("q=%20%20", "q"),
        ("q=a&limit=0", "limit"),
        ("q=a&limit=101", "limit"),
        ("q=a&cursor=%25%25", "cursor"),
    ] {
        let response = app
            .get(&format!("/api/v1/users?{query}"), Some(&me.access_token))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
        assert_eq!(response.problem().await.fields, [field], "{query}");
    }
    // A missing or mistyped parameter is refused the same way as one out of range.
    for (query, field) in [
        ("", "q"),
        ("?q=a&limit=many", "limit"),
        ("?q=a&limit=-1", "limit"),
    ] {
        let response = app
            .get(&format!("/api/v1/users{query}"), Some(&me.access_token))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
        let problem = response.problem().await;
        assert_eq!(problem.code, "invalid_query", "{query}");
        assert_eq!(problem.fields, [field], "{query}");
    }
}

#[tokio::test]
async fn settings_start_open_and_change_field_by_field() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    let defaults = app
        .get_ok("/api/v1/users/me/settings", &alice.access_token)
        .await;
    assert_eq!(
        defaults["privacy"],
        json!({"presence": "everyone", "last_seen": "everyone", "direct_messages": "everyone", "group_invites": "everyone"})
    );
    assert_eq!(defaults["notifications"]["mentions"], true);

    let change = json!({"privacy": {"presence": "contacts", "direct_messages": "contacts"}, "notifications": {"messages": false}});
    let response = app
        .patch_json("/api/v1/users/me/settings", &change, &alice.access_token)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let second = json!({"privacy": {"last_seen": "nobody"}});
    app.patch_json("/api/v1/users/me/settings", &second, &alice.access_token)
        .await;

    let saved = app
        .get_ok("/api/v1/users/me/settings", &alice.access_token)
        .await;
    assert_eq!(
        saved["privacy"],
        json!({"presence": "contacts", "last_seen": "nobody", "direct_messages": "contacts", "group_invites": "everyone"})
    );
    assert_eq!(saved["notifications"]["messages"], false);
    assert_eq!(saved["notifications"]["mentions"], true);
    assert_eq!(
        app.get_ok("/api/v1/users/me/settings", &bob.access_token)
            .await,
        defaults
    );
}

#[tokio::test]
async fn unknown_setting_values_and_fields_are_refused() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    for bad in [
        json!({"privacy": {"presence": "friends"}}),
        json!({"privacy": {"colour": "blue"}}),
        json!({"notifications": {"messages": "yes"}}),
    ] {
        let response = app
            .patch_json("/api/v1/users/me/settings", &bad, &alice.access_token)
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        response.problem().await;
    }
    let saved = app
        .get_ok("/api/v1/users/me/settings", &alice.access_token)
        .await;
    assert_eq!(saved["privacy"]["presence"], "everyone");
}

#[tokio::test]
async fn group_invites_follow_the_invitees_privacy_setting() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let set = |user: &crate::helpers::TestUser, value: &str| {
        let body = json!({"privacy": {"group_invites": value}});
        let (app, token) = (&app, user.access_token.clone());
        async move {
            let response = app
                .patch_json("/api/v1/users/me/settings", &body, &token)
                .await;
            assert_eq!(response.status(), StatusCode::OK);
        }
    };
    let create = |members: Vec<&str>| {
        let body = json!({"kind": "group", "title": "g", "member_ids": members});
        let (app, token) = (&app, alice.access_token.clone());
        async move {
            app.post_json("/api/v1/conversations", &body, Some(&token))
                .await
        }
    };
    set(&bob, "nobody").await;
    set(&carol, "contacts").await;

    let refused = create(vec![&bob.id]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(refused.problem().await.code, "group_invite_not_allowed");
    let refused = create(vec![&carol.id]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let list = app
        .get_ok("/api/v1/conversations", &alice.access_token)
        .await;
    assert_eq!(
        list["conversations"].as_array().map(Vec::len),
        Some(0),
        "nothing created"
    );

    // Adding later is held to the same rule; contacts may add a contacts-only user.
    let group = app.create_group(&alice, "later", &[]).await;
    let add = |user: &str| {
        let body = json!({"user_ids": [user]});
        let (app, token, group) = (&app, alice.access_token.clone(), group.clone());
        async move {
            app.post_json(
                &format!("/api/v1/conversations/{group}/participants"),
                &body,
                Some(&token),
            )
            .await
        }
    };
    let refused = add(&bob.id).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(refused.problem().await.code, "group_invite_not_allowed");
    let requested = app
        .post_json(
            "/api/v1/contacts",
            &json!({"user_id": carol.id}),
            Some(&alice.access_token),
        )
        .await;
    assert!(requested.status().is_success());
    let accepted = app
        .post_json(
            "/api/v1/contacts",
            &json!({"user_id": alice.id}),
            Some(&carol.access_token),
        )
        .await;
    assert!(accepted.status().is_success());
    assert!(add(&carol.id).await.status().is_success());
    let members = app
        .get_ok(
            &format!("/api/v1/conversations/{group}/participants"),
            &alice.access_token,
        )
        .await;
    assert_eq!(members["participants"].as_array().map(Vec::len), Some(2));
}
