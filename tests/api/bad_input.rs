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
            assert_eq!(
                response.status(),
                *expected,
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
    assert!(wrong_method.status().is_client_error());
    wrong_method.problem().await;
}
