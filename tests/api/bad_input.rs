use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{ResponseExt, spawn_app};

const PUBLIC_JSON_ENDPOINTS: &[&str] = &[
    "/api/v1/auth/register",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/password/forgot",
    "/api/v1/auth/password/reset",
];

const PRIVATE_JSON_ENDPOINTS: &[&str] = &[
    "/api/v1/auth/sessions/revoke-others",
    "/api/v1/auth/password/change",
];

#[tokio::test]
async fn malformed_bodies_get_problem_responses_on_every_endpoint() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let huge = format!("{{\"email\": \"{}\"}}", "a".repeat(70_000));
    let cases: &[(&str, &str, StatusCode)] = &[
        ("application/json", "{\"email\":", StatusCode::BAD_REQUEST),
        ("application/json", "", StatusCode::BAD_REQUEST),
        ("application/json", "[1, 2", StatusCode::BAD_REQUEST),
        (
            "application/json",
            "[1, 2]",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "application/json",
            "{\"email\": 5, \"password\": true}",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("application/json", "{}", StatusCode::UNPROCESSABLE_ENTITY),
        ("application/json", "null", StatusCode::UNPROCESSABLE_ENTITY),
        ("text/plain", "{}", StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("application/json", &huge, StatusCode::PAYLOAD_TOO_LARGE),
    ];

    for path in PUBLIC_JSON_ENDPOINTS.iter().chain(PRIVATE_JSON_ENDPOINTS) {
        for (content_type, body, expected) in cases {
            let response = app
                .client
                .post(app.url(path))
                .bearer_auth(&alice.access_token)
                .header("content-type", *content_type)
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            // A refresh's body may be empty (the token then comes in its cookie): `{}` is
            // well-formed and complete, and presents no token.
            let expected = if *path == "/api/v1/auth/refresh"
                && *body == "{}"
                && *content_type == "application/json"
            {
                StatusCode::UNAUTHORIZED
            } else {
                *expected
            };
            assert_eq!(
                response.status(),
                expected,
                "{path} with {content_type} {:.40}",
                body
            );
            response.problem().await;
        }
    }
    assert_eq!(
        app.login("alice", &alice.password).await.status(),
        StatusCode::OK
    );
    assert!(app.token_works(&alice.access_token).await);
}

#[tokio::test]
async fn oversized_and_odd_field_values_are_validation_errors() {
    let app = spawn_app().await;
    let long = "x".repeat(2000);
    let cases = [
        (
            "/api/v1/auth/register",
            json!({"email": format!("{long}@example.com"), "username": long, "password": long, "display_name": long}),
        ),
        (
            "/api/v1/auth/register",
            json!({"email": "a@example.com", "username": "ok_name", "password": "good enough pass", "display_name": "bad\u{0}name"}),
        ),
        ("/api/v1/auth/login", json!({"login": "", "password": ""})),
        (
            "/api/v1/auth/login",
            json!({"login": long, "password": long}),
        ),
        ("/api/v1/auth/refresh", json!({"refresh_token": ""})),
        (
            "/api/v1/auth/password/reset",
            json!({"token": "", "new_password": "x"}),
        ),
    ];

    for (path, body) in cases {
        let response = app.post_json(path, &body, None).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {body:.60}"
        );
        assert!(!response.problem().await.fields.is_empty());
    }
}

#[tokio::test]
async fn bad_paths_unknown_routes_and_wrong_methods_are_problems() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let bad_id = app
        .delete(
            "/api/v1/auth/sessions/not-a-uuid",
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(bad_id.status(), StatusCode::BAD_REQUEST);
    assert_eq!(bad_id.problem().await.code, "invalid_path");

    let unknown = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(unknown.problem().await.code, "not_found");

    let wrong_method = app.get("/api/v1/auth/login", None).await;
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    wrong_method.problem().await;
}

/// PostgreSQL cannot store a NUL and SQLite can: refused the same way on both, naming the field.
#[tokio::test]
async fn a_nul_character_is_refused_wherever_text_enters() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_group(&alice, "g", &[&bob]).await;
    let messages = format!("/api/v1/conversations/{group}/messages");

    let send = app
        .post_json(
            &messages,
            &json!({"content": "hello\u{0}world"}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(send.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem = send.problem().await;
    assert_eq!(
        (problem.code.as_str(), problem.fields),
        ("validation_failed", vec!["content".to_owned()])
    );
    let history = app.get_ok(&messages, &alice.access_token).await;
    assert_eq!(history["messages"].as_array().map(Vec::len), Some(0));

    let search = app
        .get("/api/v1/users?q=bo%00b", Some(&alice.access_token))
        .await;
    assert_eq!(search.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(search.problem().await.fields, ["q"]);

    let profile = app
        .patch_json(
            "/api/v1/users/me",
            &json!({"display_name": "Al\u{0}ice"}),
            &alice.access_token,
        )
        .await;
    assert_eq!(profile.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(profile.problem().await.fields, ["display_name"]);
    let me = app.get_ok("/api/v1/users/me", &alice.access_token).await;
    assert_eq!(me["display_name"], "alice");

    let register = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "c@example.com", "username": "car\u{0}ol", "password": "correct horse battery"}),
            None,
        )
        .await;
    assert_eq!(register.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(register.problem().await.fields, ["username"]);

    let mut ws = app.ws(&alice.access_token).await;
    let reply = ws
        .command(json!({"type": "message.send", "conversation_id": group, "content": "a\u{0}b"}))
        .await;
    assert_eq!(reply["type"], "error", "{reply}");
    assert_eq!(reply["code"], "validation_failed");
    assert!(
        reply["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("content"),
        "{reply}"
    );
    let history = app.get_ok(&messages, &alice.access_token).await;
    assert_eq!(history["messages"].as_array().map(Vec::len), Some(0));
}
