use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{JWT_SECRET, PASSWORD, ResponseExt, spawn_app, spawn_app_with};

#[tokio::test]
async fn registering_returns_the_user_and_working_tokens() {
    let app = spawn_app().await;
    let body = json!({"email": "Alice@Example.com", "username": "Alice", "password": PASSWORD, "display_name": " Alice A. "});

    let response = app.post_json("/api/v1/auth/register", &body, None).await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"]["username"], "alice");
    assert_eq!(body["user"]["email"], "alice@example.com");
    assert_eq!(body["user"]["display_name"], "Alice A.");
    assert_eq!(
        uuid::Uuid::parse_str(body["user"]["id"].as_str().unwrap())
            .unwrap()
            .get_version_num(),
        7
    );
    assert_eq!(body["tokens"]["token_type"], "Bearer");
    assert!(body["tokens"]["expires_in"].as_i64().unwrap() > 800);
    assert!(
        app.token_works(body["tokens"]["access_token"].as_str().unwrap())
            .await
    );
}

#[tokio::test]
async fn a_taken_username_or_email_is_a_conflict_and_changes_nothing() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let same_name = json!({"email": "other@example.com", "username": "ALICE", "password": "another good password", "display_name": "A"});
    let response = app
        .post_json("/api/v1/auth/register", &same_name, None)
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(response.problem().await.code, "username_taken");

    let same_email = json!({"email": "ALICE@example.com", "username": "alice2", "password": "another good password", "display_name": "A"});
    let response = app
        .post_json("/api/v1/auth/register", &same_email, None)
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(response.problem().await.code, "email_taken");

    assert_eq!(
        app.login("other@example.com", "another good password")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("alice2", "another good password").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("alice", &alice.password).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn invalid_registrations_name_every_bad_field_and_store_nothing() {
    let app = spawn_app().await;
    let body = json!({"email": "not-an-email", "username": "a b", "password": "short", "display_name": "   ", "device_name": "x".repeat(65)});

    let response = app.post_json("/api/v1/auth/register", &body, None).await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem = response.problem().await;
    assert_eq!(problem.code, "validation_failed");
    for field in [
        "email",
        "username",
        "password",
        "display_name",
        "device_name",
    ] {
        assert!(
            problem.fields.iter().any(|f| f == field),
            "{field} missing from {:?}",
            problem.fields
        );
    }
}

#[tokio::test]
async fn weak_passwords_are_refused() {
    let app = spawn_app().await;
    for weak in [
        "password123",
        "12345678",
        "aaaaaaaaaaaa",
        "abababab",
        "1234567",
    ] {
        let body = json!({"email": "bob@example.com", "username": "bob", "password": weak, "display_name": "Bob"});
        let response = app.post_json("/api/v1/auth/register", &body, None).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{weak}"
        );
        assert_eq!(response.problem().await.fields, ["password"], "{weak}");
    }
    // Nothing was stored by the refusals: the name and address are still free.
    app.register("bob").await;
}

#[tokio::test]
async fn users_log_in_with_username_or_email_in_any_case() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    for login in ["alice", "ALICE", "alice@example.com", "Alice@EXAMPLE.com"] {
        let response = app.login(login, &alice.password).await;
        assert_eq!(response.status(), StatusCode::OK, "{login}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["user"]["id"], alice.id.as_str());
    }
    let by_alias = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "alice@example.com", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(by_alias.status(), StatusCode::OK);
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_get_the_same_answer() {
    let app = spawn_app().await;
    app.register("alice").await;

    let wrong_password = app.login("alice", "not the password").await;
    let unknown_user = app.login("nobody", "not the password").await;
    let impossible_name = app.login("no such name!", "not the password").await;

    for response in [wrong_password, unknown_user, impossible_name] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.problem().await.code, "invalid_credentials");
    }
}

#[tokio::test]
async fn logins_are_rate_limited_per_account() {
    let app = spawn_app_with(|s| {
        s.rate_limit.login_per_account.max = 3;
        s.rate_limit.login_per_account.per_secs = 600;
    })
    .await;
    let alice = app.register("alice").await;
    app.register("bob").await;

    for _ in 0..3 {
        assert_eq!(
            app.login("alice", "wrong password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let limited = app.login("ALICE@example.com", &alice.password).await;

    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry_after), "{retry_after}");
    assert_eq!(limited.problem().await.code, "rate_limited");
    assert_eq!(app.login("bob", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn logins_are_rate_limited_per_ip() {
    let app = spawn_app_with(|s| {
        s.rate_limit.login_per_ip.max = 4;
        s.rate_limit.login_per_ip.per_secs = 600;
    })
    .await;
    for name in ["a_user", "b_user", "c_user", "d_user"] {
        assert_eq!(
            app.login(name, "wrong password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }

    let response = app.login("e_user", "wrong password").await;

    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn registrations_are_rate_limited_per_ip() {
    let app = spawn_app_with(|s| s.rate_limit.register_per_ip.max = 2).await;
    app.register("first").await;
    app.register("second").await;

    let body = json!({"email": "third@example.com", "username": "third", "password": PASSWORD, "display_name": "T"});
    let response = app.post_json("/api/v1/auth/register", &body, None).await;

    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn signing_keys_rotate_and_tokens_name_their_key() {
    const NEW: &str = "a new signing secret, 32 bytes at least";
    let app = spawn_app_with(|s| {
        s.auth.jwt_secret = Some(NEW.to_owned().into());
        s.auth.jwt_previous_secrets = vec![JWT_SECRET.to_owned().into()];
    })
    .await;
    let alice = app.register("alice").await;
    let header = jsonwebtoken::decode_header(&alice.access_token).unwrap();
    let kid = header.kid.expect("a kid");
    assert_eq!(
        kid,
        chat_server::infrastructure::security::jwt::key_id(NEW.as_bytes())
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = json!({"sub": alice.id, "sid": alice.session_id, "iss": "chat-server", "iat": now, "exp": now + 600});
    let old_kid = chat_server::infrastructure::security::jwt::key_id(JWT_SECRET.as_bytes());
    let signed_with = |secret: &str, kid: Option<&str>| {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = kid.map(str::to_owned);
        forge(&header, &claims, secret.as_bytes())
    };

    // The previous key still verifies what it signed...
    assert!(
        app.token_works(&signed_with(JWT_SECRET, Some(&old_kid)))
            .await
    );
    // ...but a token must name the key that signed it; one without a name is the current key's.
    assert!(!app.token_works(&signed_with(JWT_SECRET, Some(&kid))).await);
    assert!(!app.token_works(&signed_with(JWT_SECRET, None)).await);
    assert!(app.token_works(&signed_with(NEW, None)).await);
    assert!(!app.token_works(&signed_with(NEW, Some("unknown"))).await);

    // Once the old key is dropped, its tokens stop working.
    let dropped = spawn_app_with(|s| s.auth.jwt_secret = Some(NEW.to_owned().into())).await;
    let bob = dropped.register("bob").await;
    let claims = json!({"sub": bob.id, "sid": bob.session_id, "iss": "chat-server", "iat": now, "exp": now + 600});
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(old_kid);
    assert!(
        !dropped
            .token_works(&forge(&header, &claims, JWT_SECRET.as_bytes()))
            .await
    );
    assert!(dropped.token_works(&bob.access_token).await);
}

fn forge(header: &Header, claims: &Value, secret: &[u8]) -> String {
    encode(header, claims, &EncodingKey::from_secret(secret)).unwrap()
}

#[tokio::test]
async fn tampered_unsigned_foreign_and_expired_tokens_are_refused() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = json!({"sub": alice.id, "sid": alice.session_id, "iss": "chat-server", "iat": now, "exp": now + 600});
    // The genuine shape, to show the forgeries below fail for the reason they test.
    assert!(
        app.token_works(&forge(
            &Header::new(Algorithm::HS256),
            &claims,
            JWT_SECRET.as_bytes()
        ))
        .await
    );

    let parts: Vec<&str> = alice.access_token.split('.').collect();
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["exp"] = json!(now + 999_999);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    );
    let other_algorithm = forge(
        &Header::new(Algorithm::HS512),
        &claims,
        JWT_SECRET.as_bytes(),
    );
    let other_key = forge(
        &Header::new(Algorithm::HS256),
        &claims,
        b"some other secret of enough length!!",
    );
    let mut expired_claims = claims.clone();
    expired_claims["exp"] = json!(now - 120);
    let expired = forge(
        &Header::new(Algorithm::HS256),
        &expired_claims,
        JWT_SECRET.as_bytes(),
    );
    let mut foreign_claims = claims.clone();
    foreign_claims["iss"] = json!("someone-else");
    let foreign_issuer = forge(
        &Header::new(Algorithm::HS256),
        &foreign_claims,
        JWT_SECRET.as_bytes(),
    );

    for token in [
        unsigned,
        tampered,
        other_algorithm,
        other_key,
        expired,
        foreign_issuer,
        "garbage".to_owned(),
    ] {
        let response = app.get("/api/v1/auth/sessions", Some(&token)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{token}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_eq!(response.problem().await.code, "invalid_token");
    }
}

#[tokio::test]
async fn requests_without_a_bearer_token_are_refused() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let missing = app.get("/api/v1/auth/sessions", None).await;
    let basic = app
        .client
        .get(app.url("/api/v1/auth/sessions"))
        .header("authorization", format!("Basic {}", alice.access_token))
        .send()
        .await
        .unwrap();

    for response in [missing, basic] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.problem().await.code, "missing_token");
    }
}
