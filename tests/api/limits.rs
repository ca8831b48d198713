//! Limits that count failures, not attempts (so nobody locks anyone else out), per-user write
//! limits, and what the limiters do while Redis is down.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    PrivateRedis, ProblemBody, ResponseExt, TestApp, TestUser, spawn_app_with, spawn_twin,
};

async fn login_from(app: &TestApp, ip: &str, login: &str, password: &str) -> StatusCode {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({"login": login, "password": password}))
        .send()
        .await
        .expect("request sent")
        .status()
}

async fn app_failing_after(failures: u32) -> TestApp {
    spawn_app_with(|s| {
        s.server.trust_forwarded_for = true;
        s.rate_limit.login_per_account.max = failures;
        s.rate_limit.login_per_account.per_secs = 600;
    })
    .await
}

#[tokio::test]
async fn another_client_s_failures_do_not_lock_the_owner_out() {
    let app = app_failing_after(3).await;
    let alice = app.register("alice").await;
    let attacker = "203.0.113.9";
    for _ in 0..3 {
        assert_eq!(
            login_from(&app, attacker, "alice", "a guess").await,
            StatusCode::UNAUTHORIZED
        );
    }
    // The failing client is stopped, even with the right password...
    assert_eq!(
        login_from(&app, attacker, "alice", &alice.password).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // ...the owner, elsewhere, is not.
    assert_eq!(
        login_from(&app, "198.51.100.7", "alice", &alice.password).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn successful_logins_are_not_counted() {
    let app = app_failing_after(2).await;
    let alice = app.register("alice").await;
    for _ in 0..5 {
        assert_eq!(
            login_from(&app, "198.51.100.7", "alice", &alice.password).await,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn failures_from_one_ipv6_slash_64_count_together() {
    let app = app_failing_after(3).await;
    let alice = app.register("alice").await;
    for address in ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:aaaa::3"] {
        assert_eq!(
            login_from(&app, address, "alice", "a guess").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_from(&app, "2001:db8:1:2::ffff", "alice", &alice.password).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login_from(&app, "2001:db8:1:3::1", "alice", &alice.password).await,
        StatusCode::OK
    );
}

async fn revoke_others(app: &TestApp, session: &TestUser, password: &str) -> StatusCode {
    app.post_json(
        "/api/v1/auth/sessions/revoke-others",
        &json!({"password": password}),
        Some(&session.access_token),
    )
    .await
    .status()
}

#[tokio::test]
async fn a_thief_s_guesses_do_not_stop_the_owner_revoking_their_session() {
    let app = app_failing_after(3).await;
    let alice = app.register("alice").await;
    let thief = app.new_session(&alice).await;
    for _ in 0..3 {
        assert_eq!(
            revoke_others(&app, &thief, "a guess").await,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(
        revoke_others(&app, &thief, &alice.password).await,
        StatusCode::TOO_MANY_REQUESTS
    );

    assert_eq!(
        revoke_others(&app, &alice, &alice.password).await,
        StatusCode::OK
    );
    assert!(!app.token_works(&thief.access_token).await);
}

fn assert_limited(status: StatusCode, what: &str) {
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{what}");
}

#[tokio::test]
async fn writes_are_limited_per_user() {
    let app = spawn_app_with(|s| {
        let limits = &mut s.rate_limit;
        for limit in [
            &mut limits.messages_per_user,
            &mut limits.reactions_per_user,
            &mut limits.conversations_per_user,
        ] {
            limit.max = 2;
            limit.per_secs = 600;
        }
    })
    .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "one", &[&bob]).await;
    app.create_group(&alice, "two", &[]).await;
    let third = json!({"kind": "group", "title": "three", "member_ids": []});
    let refused = app
        .post_json("/api/v1/conversations", &third, Some(&alice.access_token))
        .await;
    assert_limited(refused.status(), "a third conversation");

    let first = app.send_message(&alice, &group, "one").await;
    app.send_message(&alice, &group, "two").await;
    let path = format!("/api/v1/conversations/{group}/messages");
    let refused = app
        .post_json(
            &path,
            &json!({"content": "three"}),
            Some(&alice.access_token),
        )
        .await;
    assert_limited(refused.status(), "a third message");
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(refused.problem().await.code, "rate_limited");
    // The socket spends the same budget.
    let mut ws = app.ws(&alice.access_token).await;
    let reply = ws
        .command(json!({"type": "message.send", "conversation_id": group, "content": "four"}))
        .await;
    assert_eq!(reply["type"], "error", "{reply}");
    assert_eq!(reply["code"], "rate_limited", "{reply}");
    // Another user's budget is their own.
    app.send_message(&bob, &group, "bob's").await;
    let history: Value = app.get_ok(&path, &alice.access_token).await;
    assert_eq!(
        history["messages"].as_array().map(Vec::len),
        Some(3),
        "{history}"
    );

    let message = first["id"].as_str().unwrap();
    let react = |emoji: &str| {
        let path = format!("/api/v1/conversations/{group}/messages/{message}/reactions/{emoji}");
        let token = alice.access_token.clone();
        let app = &app;
        async move { app.send(reqwest::Method::PUT, &path, None, &token).await }
    };
    for emoji in ["👍", "🎉"] {
        let added = react(emoji).await;
        assert!(added.status().is_success(), "{}", added.status());
    }
    let refused = react("🔥").await;
    assert_limited(refused.status(), "a third reaction");
}

#[tokio::test]
#[ignore = "needs PostgreSQL and Redis: set TEST_DATABASE_URL and TEST_REDIS_URL and run with --include-ignored (CI's second pass does)"]
async fn a_user_s_write_budget_is_shared_by_every_instance() {
    let a = spawn_app_with(|s| {
        s.rate_limit.messages_per_user.max = 4;
        s.rate_limit.messages_per_user.per_secs = 600;
    })
    .await;
    let b = spawn_twin(&a).await.expect("a second instance");
    let alice = a.register("alice").await;
    let group = a.create_group(&alice, "shared", &[]).await;
    let path = format!("/api/v1/conversations/{group}/messages");
    let send = |app: &TestApp, n: usize| {
        let body = json!({"content": format!("m{n}")});
        let (path, token) = (path.clone(), alice.access_token.clone());
        let request = app
            .client
            .post(app.url(&path))
            .bearer_auth(token)
            .json(&body);
        async move { request.send().await.expect("request sent").status() }
    };
    for n in 0..4 {
        let instance = if n % 2 == 0 { &a } else { &b };
        assert_eq!(send(instance, n).await, StatusCode::CREATED, "message {n}");
    }

    assert_limited(send(&a, 4).await, "a fifth message on a");
    assert_limited(send(&b, 5).await, "a fifth message on b");
}

#[tokio::test]
#[ignore = "needs redis-server: set TEST_REDIS_URL and run with --include-ignored (CI's second pass does)"]
async fn while_redis_is_down_limits_do_what_the_setting_says() {
    let mut redis = PrivateRedis::start().await;
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let local = app_with_redis(&url, "local").await;
    let refuse = app_with_redis(&url, "refuse").await;
    let allow = app_with_redis(&url, "allow").await;
    let users = [
        local.register("louise").await,
        refuse.register("raymond").await,
        allow.register("albert").await,
    ];
    redis.stop();

    // local: still counted, in this instance's memory.
    assert_eq!(
        login_from(&local, "203.0.113.9", "louise", "a guess").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_from(&local, "203.0.113.9", "louise", &users[0].password).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // refuse: 503 with Retry-After, nothing verified.
    let response = refuse
        .post_json(
            "/api/v1/auth/login",
            &json!({"login": "raymond", "password": users[1].password}),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    let problem: ProblemBody = response.problem().await;
    assert_eq!(problem.code, "rate_limiter_unavailable");
    // allow: through, uncounted.
    for _ in 0..3 {
        assert_eq!(
            login_from(&allow, "203.0.113.9", "albert", "a guess").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_from(&allow, "203.0.113.9", "albert", &users[2].password).await,
        StatusCode::OK
    );
}

async fn app_with_redis(url: &str, when_down: &str) -> TestApp {
    let mode = serde_json::from_value(json!(when_down)).expect("a mode");
    spawn_app_with(|s| {
        s.redis.url = url.to_owned();
        s.server.trust_forwarded_for = true;
        s.rate_limit.when_redis_down = mode;
        s.rate_limit.login_per_account.max = 1;
        s.rate_limit.login_per_account.per_secs = 600;
    })
    .await
}
