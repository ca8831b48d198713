use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{ResponseExt, TestApp, spawn_app};

const NEW_PASSWORD: &str = "a brand new passphrase";

fn token_in(mail: &str) -> String {
    let line = mail
        .lines()
        .find_map(|l| l.strip_prefix("Reset token: "))
        .expect("token line in mail");
    line.trim().to_owned()
}

async fn reset(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/password/reset",
        &json!({"token": token, "new_password": password}),
        None,
    )
    .await
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_signs_out_other_devices() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let phone = app.new_session(&alice).await;

    let wrong = app
        .post_json(
            "/api/v1/auth/password/change",
            &json!({"current_password": "not my password", "new_password": NEW_PASSWORD}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert_eq!(wrong.problem().await.code, "invalid_password");

    let weak = app
        .post_json(
            "/api/v1/auth/password/change",
            &json!({"current_password": alice.password, "new_password": "password"}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(weak.problem().await.fields, ["new_password"]);
    assert_eq!(
        app.login("alice", &alice.password).await.status(),
        StatusCode::OK,
        "refusals changed nothing"
    );
    assert!(app.token_works(&phone.access_token).await, "held in memory");

    let response = app
        .post_json(
            "/api/v1/auth/password/change",
            &json!({"current_password": alice.password, "new_password": NEW_PASSWORD}),
            Some(&alice.access_token),
        )
        .await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.login("alice", &alice.password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("alice", NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
    assert!(!app.token_works(&phone.access_token).await);
    assert!(app.token_works(&alice.access_token).await);
}

#[tokio::test]
async fn a_reset_token_sets_a_new_password_once_and_signs_out_everywhere() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    assert!(app.token_works(&alice.access_token).await, "held in memory");

    let response = app
        .post_json(
            "/api/v1/auth/password/forgot",
            &json!({"email": "ALICE@example.com"}),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let token = token_in(
        &app.mail_to("alice@example.com")
            .await
            .expect("a reset mail"),
    );

    let weak = reset(&app, &token, "12345678").await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(weak.problem().await.fields, ["new_password"]);

    assert_eq!(
        reset(&app, &token, NEW_PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(!app.token_works(&alice.access_token).await);
    assert_eq!(
        app.login("alice", &alice.password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("alice", NEW_PASSWORD).await.status(),
        StatusCode::OK
    );

    let replay = reset(&app, &token, "yet another passphrase").await;
    assert_eq!(replay.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(replay.problem().await.fields, ["token"]);
    assert_eq!(
        app.login("alice", NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn forgot_password_does_not_reveal_which_accounts_exist() {
    let app = spawn_app().await;
    app.register("alice").await;

    let known = app
        .post_json(
            "/api/v1/auth/password/forgot",
            &json!({"email": "alice@example.com"}),
            None,
        )
        .await;
    let unknown = app
        .post_json(
            "/api/v1/auth/password/forgot",
            &json!({"email": "nobody@example.com"}),
            None,
        )
        .await;

    assert_eq!(known.status(), StatusCode::ACCEPTED);
    assert_eq!(unknown.status(), StatusCode::ACCEPTED);
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    assert!(app.mail_to("alice@example.com").await.is_some());
    assert!(app.mail_to("nobody@example.com").await.is_none());
}

#[tokio::test]
async fn made_up_reset_tokens_are_refused() {
    let app = spawn_app().await;
    app.register("alice").await;

    let response = reset(&app, "made-up-token", NEW_PASSWORD).await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.problem().await.fields, ["token"]);
    let bad_email = app
        .post_json(
            "/api/v1/auth/password/forgot",
            &json!({"email": "nope"}),
            None,
        )
        .await;
    assert_eq!(bad_email.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn password_resets_are_rate_limited_per_client_address() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.rate_limit.reset_per_ip.max = 2;
        s.rate_limit.reset_per_ip.per_secs = 3600;
    })
    .await;

    for _ in 0..2 {
        let response = reset(&app, "not-a-token", NEW_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.problem().await.fields, ["token"]);
    }
    let limited = reset(&app, "not-a-token", NEW_PASSWORD).await;

    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(limited.problem().await.code, "rate_limited");
}
