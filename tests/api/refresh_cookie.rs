//! Browsers keep the refresh token in an HttpOnly cookie: asked for by a header, never in a
//! body then, rotated on refresh like the body form, refused without the header (so no
//! cross-site form can use it), and removed on a failed refresh and on logout.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, spawn_app};

const DELIVERY: &str = "x-refresh-token-delivery";

/// The `chat_refresh` value a response sets, with the cookie's attributes.
fn set_cookie(response: &reqwest::Response) -> (String, String) {
    let header = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let value = header
        .strip_prefix("chat_refresh=")
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_owned();
    (value, header)
}

async fn login_for_a_cookie(app: &TestApp, user: &TestUser) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header(DELIVERY, "cookie")
        .json(&json!({"login": user.username, "password": user.password}))
        .send()
        .await
        .unwrap()
}

async fn refresh_with(app: &TestApp, cookie: &str, header: bool) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .header(COOKIE, format!("theme=dark; chat_refresh={cookie}"))
        .json(&json!({}));
    if header {
        request = request.header(DELIVERY, "cookie");
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn login_with_cookie_delivery_sets_an_httponly_cookie_and_leaves_the_token_out_of_the_body() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let response = login_for_a_cookie(&app, &alice).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (token, header) = set_cookie(&response);
    assert!(!token.is_empty());
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/api/v1/auth",
        "Max-Age=",
    ] {
        assert!(header.contains(attribute), "{header}");
    }
    let body: Value = response.json().await.unwrap();
    assert!(body["tokens"].get("refresh_token").is_none(), "{body}");
    assert!(
        app.token_works(body["tokens"]["access_token"].as_str().unwrap())
            .await
    );

    // Without the header, a login answers as before: the token in the body, no cookie.
    let plain = app.login(&alice.username, &alice.password).await;
    assert!(plain.headers().get(SET_COOKIE).is_none());
    let body: Value = plain.json().await.unwrap();
    assert!(body["tokens"]["refresh_token"].as_str().is_some());
}

#[tokio::test]
async fn the_cookie_refreshes_and_rotates_and_a_spent_one_ends_the_session() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let first = login_for_a_cookie(&app, &alice).await;
    let (first, _) = set_cookie(&first);

    let response = refresh_with(&app, &first, true).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (second, _) = set_cookie(&response);
    assert_ne!(second, first);
    let body: Value = response.json().await.unwrap();
    assert!(body["tokens"].get("refresh_token").is_none(), "{body}");
    let access = body["tokens"]["access_token"].as_str().unwrap().to_owned();
    assert!(app.token_works(&access).await);

    // The spent cookie again: reuse, the session ends, and the browser is told to drop it.
    let reused = refresh_with(&app, &first, true).await;
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
    let (cleared, header) = set_cookie(&reused);
    assert!(
        cleared.is_empty() && header.contains("Max-Age=0"),
        "{header}"
    );
    let problem: Value = reused.json().await.unwrap();
    assert_eq!(problem["code"], "refresh_token_reused");
    assert!(!app.token_works(&access).await);
    assert_eq!(
        refresh_with(&app, &second, true).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_cookie_alone_refreshes_nothing() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let login = login_for_a_cookie(&app, &alice).await;
    let (token, _) = set_cookie(&login);

    // What a cross-site form would send: the cookie, not the header.
    let response = refresh_with(&app, &token, false).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get(SET_COOKIE).is_none());
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "invalid_refresh_token");
    // The cookie was not spent: with the header it still works.
    assert_eq!(
        refresh_with(&app, &token, true).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn logout_with_cookie_delivery_removes_the_cookie() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&alice.access_token)
        .header(DELIVERY, "cookie")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (value, header) = set_cookie(&response);
    assert!(value.is_empty() && header.contains("Max-Age=0"), "{header}");
}
