use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ResponseExt, eventually, spawn_app, spawn_app_with, spawn_twin};

async fn refresh(app: &crate::helpers::TestApp, token: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/refresh",
        &json!({"refresh_token": token}),
        None,
    )
    .await
}

#[tokio::test]
async fn a_refresh_rotates_both_tokens() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let response = refresh(&app, &alice.refresh_token).await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let new_refresh = body["tokens"]["refresh_token"].as_str().unwrap();
    assert_ne!(new_refresh, alice.refresh_token);
    assert_eq!(body["tokens"]["session_id"], alice.session_id.as_str());
    assert_eq!(body["user"]["id"], alice.id.as_str());
    assert!(
        app.token_works(body["tokens"]["access_token"].as_str().unwrap())
            .await
    );
    assert_eq!(refresh(&app, new_refresh).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_session() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let other_device = app.new_session(&alice).await;
    let rotated: Value = refresh(&app, &alice.refresh_token)
        .await
        .json()
        .await
        .unwrap();
    let current_refresh = rotated["tokens"]["refresh_token"].as_str().unwrap();
    let current_access = rotated["tokens"]["access_token"].as_str().unwrap();

    let replay = refresh(&app, &alice.refresh_token).await;

    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(replay.problem().await.code, "refresh_token_reused");
    assert_eq!(
        refresh(&app, current_refresh).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(!app.token_works(current_access).await);
    assert!(
        app.token_works(&other_device.access_token).await,
        "other sessions are untouched"
    );
}

#[tokio::test]
async fn concurrent_uses_of_one_refresh_token_rotate_once() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let attempts =
        futures_util::future::join_all((0..5).map(|_| refresh(&app, &alice.refresh_token))).await;

    let ok = attempts
        .iter()
        .filter(|r| r.status() == StatusCode::OK)
        .count();
    assert!(ok <= 1, "{ok} rotations of one token");
    assert!(
        attempts
            .iter()
            .all(|r| r.status() == StatusCode::OK || r.status() == StatusCode::UNAUTHORIZED)
    );
}

#[tokio::test]
async fn unknown_refresh_tokens_are_refused() {
    let app = spawn_app().await;
    app.register("alice").await;

    let response = refresh(&app, "not-a-token").await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.problem().await.code, "invalid_refresh_token");
}

#[tokio::test]
async fn logout_ends_the_session_at_once() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let phone = app.new_session(&alice).await;

    let response = app
        .post_json("/api/v1/auth/logout", &json!({}), Some(&alice.access_token))
        .await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let after = app
        .get("/api/v1/auth/sessions", Some(&alice.access_token))
        .await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(after.problem().await.code, "session_revoked");
    assert_eq!(
        refresh(&app, &alice.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(app.token_works(&phone.access_token).await);
}

#[tokio::test]
#[ignore = "needs Redis: set TEST_REDIS_URL and run with --include-ignored (CI's second pass does)"]
async fn a_session_ended_on_one_instance_ends_on_the_other() {
    let a = spawn_app().await;
    let b = spawn_twin(&a)
        .await
        .expect("TEST_REDIS_URL must be set: a twin shares the database");
    let alice = a.register("alice").await;
    let phone = a.new_session(&alice).await;
    for token in [&alice.access_token, &phone.access_token] {
        assert!(b.token_works(token).await, "held in b's memory");
    }

    let response = a
        .post_json("/api/v1/auth/logout", &json!({}), Some(&alice.access_token))
        .await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(!a.token_works(&alice.access_token).await);
    eventually("b hears that the session ended", || async {
        (!b.token_works(&alice.access_token).await).then_some(())
    })
    .await;
    assert!(b.token_works(&phone.access_token).await);
}

#[tokio::test]
async fn the_session_list_shows_each_device_and_marks_the_current_one() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let laptop = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("user-agent", "TestBrowser/1.0")
        .json(&json!({"login": "alice", "password": alice.password, "device_name": "Laptop"}))
        .send()
        .await
        .unwrap();
    let laptop: Value = laptop.json().await.unwrap();
    let laptop_session = laptop["tokens"]["session_id"].as_str().unwrap();

    let response = app
        .get("/api/v1/auth/sessions", Some(&alice.access_token))
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let sessions = body["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["id"], laptop_session, "newest first");
    assert_eq!(sessions[0]["device_name"], "Laptop");
    assert_eq!(sessions[0]["user_agent"], "TestBrowser/1.0");
    assert_eq!(sessions[0]["ip"], "127.0.0.1");
    assert_eq!(sessions[0]["current"], false);
    assert_eq!(sessions[1]["id"], alice.session_id.as_str());
    assert_eq!(sessions[1]["current"], true);
    for field in ["created_at", "last_active_at", "expires_at"] {
        time::OffsetDateTime::parse(
            sessions[1][field].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
    }
}

#[tokio::test]
async fn a_user_can_revoke_their_own_sessions_but_nobody_elses() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let alice_phone = app.new_session(&alice).await;
    let mallory = app.register("mallory").await;

    let attack = app
        .delete(
            &format!("/api/v1/auth/sessions/{}", alice.session_id),
            Some(&mallory.access_token),
        )
        .await;
    assert_eq!(attack.status(), StatusCode::NOT_FOUND);
    assert_eq!(attack.problem().await.code, "session_not_found");
    assert!(app.token_works(&alice.access_token).await);

    let response = app
        .delete(
            &format!("/api/v1/auth/sessions/{}", alice_phone.session_id),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(!app.token_works(&alice_phone.access_token).await);
    assert_eq!(
        refresh(&app, &alice_phone.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(app.token_works(&alice.access_token).await);

    let again = app
        .delete(
            &format!("/api/v1/auth/sessions/{}", alice_phone.session_id),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn revoking_other_sessions_needs_the_password() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let phone = app.new_session(&alice).await;
    let tablet = app.new_session(&alice).await;

    let wrong = app
        .post_json(
            "/api/v1/auth/sessions/revoke-others",
            &json!({"password": "not it at all"}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert_eq!(wrong.problem().await.code, "invalid_password");
    assert!(app.token_works(&phone.access_token).await);

    let response = app
        .post_json(
            "/api/v1/auth/sessions/revoke-others",
            &json!({"password": alice.password}),
            Some(&alice.access_token),
        )
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["revoked"], 2);
    assert!(!app.token_works(&phone.access_token).await);
    assert!(!app.token_works(&tablet.access_token).await);
    assert!(app.token_works(&alice.access_token).await);
}

#[tokio::test]
async fn opening_more_than_the_maximum_sessions_revokes_the_oldest() {
    let app = spawn_app_with(|s| s.auth.max_sessions = 3).await;
    let first = app.register("alice").await;
    let second = app.new_session(&first).await;
    let third = app.new_session(&first).await;
    assert!(app.token_works(&first.access_token).await);

    let fourth = app.new_session(&first).await;

    assert!(!app.token_works(&first.access_token).await);
    assert_eq!(
        refresh(&app, &first.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    for live in [&second, &third, &fourth] {
        assert!(app.token_works(&live.access_token).await);
    }
    let list: Value = app
        .get("/api/v1/auth/sessions", Some(&fourth.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["sessions"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn the_activity_log_shows_the_owner_sign_ins_failures_and_ended_sessions() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let failed = app.login("alice", "not the password").await;
    assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);
    let laptop: Value = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("user-agent", "TestBrowser/1.0")
        .json(&json!({"login": "alice", "password": alice.password, "device_name": "Laptop"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let laptop_session = laptop["tokens"]["session_id"].as_str().unwrap().to_owned();
    let revoked = app
        .delete(
            &format!("/api/v1/auth/sessions/{laptop_session}"),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let changed = app
        .post_json(
            "/api/v1/auth/password/change",
            &json!({"current_password": alice.password, "new_password": "another long passphrase"}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);

    let log = app
        .get_ok("/api/v1/auth/activity", &alice.access_token)
        .await;

    let activity = log["activity"].as_array().expect("activity");
    let kinds: Vec<&str> = activity
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "password_changed",
            "session_revoked",
            "login",
            "login_failed"
        ],
        "newest first"
    );
    assert_eq!(activity[1]["session_id"], laptop_session.as_str());
    assert_eq!(activity[2]["session_id"], laptop_session.as_str());
    assert_eq!(activity[2]["user_agent"], "TestBrowser/1.0");
    assert_eq!(activity[2]["device_name"], "Laptop");
    assert_eq!(activity[3]["ip"], "127.0.0.1");
    assert_eq!(activity[3]["session_id"], Value::Null);
    assert_eq!(log["next_cursor"], Value::Null);
    // Pages of two, by cursor.
    let first = app
        .get_ok("/api/v1/auth/activity?limit=2", &alice.access_token)
        .await;
    let cursor = first["next_cursor"].as_str().expect("a cursor").to_owned();
    let second = app
        .get_ok(
            &format!("/api/v1/auth/activity?limit=2&cursor={cursor}"),
            &alice.access_token,
        )
        .await;
    assert_eq!(first["activity"][1]["kind"], "session_revoked");
    assert_eq!(second["activity"][0]["kind"], "login");
    assert_eq!(second["activity"].as_array().map(Vec::len), Some(2));
    assert_eq!(second["next_cursor"], Value::Null);
    // Each sees their own only.
    let bobs = app.get_ok("/api/v1/auth/activity", &bob.access_token).await;
    assert_eq!(bobs["activity"], json!([]));
    let bad = app
        .get("/api/v1/auth/activity?limit=0", Some(&alice.access_token))
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    bad.problem().await;
}

#[tokio::test]
async fn the_activity_log_keeps_the_newest_entries_only() {
    let app = spawn_app_with(|s| s.auth.activity_kept = 3).await;
    let alice = app.register("alice").await;
    assert_eq!(
        app.login("alice", &alice.password).await.status(),
        StatusCode::OK
    );
    for _ in 0..4 {
        let failed = app.login("alice", "not the password").await;
        assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);
    }

    let log = app
        .get_ok("/api/v1/auth/activity", &alice.access_token)
        .await;

    let kinds: Vec<&str> = log["activity"]
        .as_array()
        .expect("activity")
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["login_failed", "login_failed", "login_failed"]);
}
