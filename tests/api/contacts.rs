use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ResponseExt, TestApp, TestUser, spawn_app, spawn_app_with};

async fn request_contact(app: &TestApp, from: &TestUser, to: &TestUser) -> reqwest::Response {
    app.post_json(
        "/api/v1/contacts",
        &json!({"user_id": to.id}),
        Some(&from.access_token),
    )
    .await
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["user"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_contact_request_is_pending_until_accepted() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    let response = request_contact(&app, &alice, &bob).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap()["status"],
        "outgoing"
    );
    assert_eq!(
        ids(
            &app.get_ok("/api/v1/contacts", &alice.access_token).await,
            "outgoing"
        ),
        [bob.id.as_str()]
    );
    assert_eq!(
        ids(
            &app.get_ok("/api/v1/contacts", &bob.access_token).await,
            "incoming"
        ),
        [alice.id.as_str()]
    );
    assert_eq!(
        request_contact(&app, &alice, &bob)
            .await
            .json::<Value>()
            .await
            .unwrap()["status"],
        "outgoing"
    );

    let accepted = app
        .post_json(
            &format!("/api/v1/contacts/{}/accept", alice.id),
            &json!({}),
            Some(&bob.access_token),
        )
        .await;

    assert_eq!(accepted.status(), StatusCode::OK);
    assert_eq!(
        accepted.json::<Value>().await.unwrap()["status"],
        "accepted"
    );
    for (user, other) in [(&alice, &bob), (&bob, &alice)] {
        let list = app.get_ok("/api/v1/contacts", &user.access_token).await;
        assert_eq!(ids(&list, "contacts"), [other.id.as_str()]);
        assert!(ids(&list, "incoming").is_empty() && ids(&list, "outgoing").is_empty());
    }
}

#[tokio::test]
async fn requesting_someone_who_asked_first_accepts() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    request_contact(&app, &alice, &bob).await;

    let response = request_contact(&app, &bob, &alice).await;

    assert_eq!(
        response.json::<Value>().await.unwrap()["status"],
        "accepted"
    );
    assert_eq!(
        ids(
            &app.get_ok("/api/v1/contacts", &alice.access_token).await,
            "contacts"
        ),
        [bob.id.as_str()]
    );
}

#[tokio::test]
async fn requests_can_be_declined_withdrawn_and_contacts_removed() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    request_contact(&app, &alice, &bob).await;
    let declined = app
        .delete(
            &format!("/api/v1/contacts/{}", alice.id),
            Some(&bob.access_token),
        )
        .await;
    assert_eq!(declined.status(), StatusCode::NO_CONTENT);
    assert!(
        ids(
            &app.get_ok("/api/v1/contacts", &alice.access_token).await,
            "outgoing"
        )
        .is_empty()
    );

    let not_pending = app
        .post_json(
            &format!("/api/v1/contacts/{}/accept", alice.id),
            &json!({}),
            Some(&bob.access_token),
        )
        .await;
    assert_eq!(not_pending.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        not_pending.problem().await.code,
        "contact_request_not_found"
    );
    // Only the addressee can accept.
    request_contact(&app, &alice, &bob).await;
    let own = app
        .post_json(
            &format!("/api/v1/contacts/{}/accept", bob.id),
            &json!({}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(own.status(), StatusCode::NOT_FOUND);

    app.post_json(
        &format!("/api/v1/contacts/{}/accept", alice.id),
        &json!({}),
        Some(&bob.access_token),
    )
    .await;
    let removed = app
        .delete(
            &format!("/api/v1/contacts/{}", bob.id),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert!(
        ids(
            &app.get_ok("/api/v1/contacts", &bob.access_token).await,
            "contacts"
        )
        .is_empty()
    );
    let again = app
        .delete(
            &format!("/api/v1/contacts/{}", bob.id),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(again.problem().await.code, "contact_not_found");
}

#[tokio::test]
async fn contact_requests_to_oneself_or_nobody_are_refused() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let own = app
        .post_json(
            "/api/v1/contacts",
            &json!({"user_id": alice.id}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(own.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let ghost = app
        .post_json(
            "/api/v1/contacts",
            &json!({"user_id": uuid::Uuid::now_v7()}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(ghost.status(), StatusCode::NOT_FOUND);
    assert_eq!(ghost.problem().await.code, "user_not_found");
    let malformed = app
        .post_json(
            "/api/v1/contacts",
            &json!({"user_id": "alice"}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(malformed.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn blocking_ends_the_contact_and_hides_the_blocker() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    request_contact(&app, &alice, &bob).await;
    request_contact(&app, &bob, &alice).await;

    let blocked = app
        .send(
            Method::PUT,
            &format!("/api/v1/users/{}/block", bob.id),
            None,
            &alice.access_token,
        )
        .await;

    assert_eq!(blocked.status(), StatusCode::NO_CONTENT);
    assert!(
        ids(
            &app.get_ok("/api/v1/contacts", &alice.access_token).await,
            "contacts"
        )
        .is_empty()
    );
    assert!(
        ids(
            &app.get_ok("/api/v1/contacts", &bob.access_token).await,
            "contacts"
        )
        .is_empty()
    );
    let profile = app
        .get(
            &format!("/api/v1/users/{}", alice.id),
            Some(&bob.access_token),
        )
        .await;
    assert_eq!(profile.status(), StatusCode::NOT_FOUND);
    let search = app.get_ok("/api/v1/users?q=ali", &bob.access_token).await;
    assert!(search["users"].as_array().unwrap().is_empty());
    assert_eq!(
        request_contact(&app, &bob, &alice).await.status(),
        StatusCode::NOT_FOUND
    );
    let by_blocker = request_contact(&app, &alice, &bob).await;
    assert_eq!(by_blocker.status(), StatusCode::CONFLICT);
    assert_eq!(by_blocker.problem().await.code, "user_blocked");
    // The blocker still sees the blocked user.
    app.get_ok(&format!("/api/v1/users/{}", bob.id), &alice.access_token)
        .await;
    let blocks = app
        .get_ok("/api/v1/users/me/blocks", &alice.access_token)
        .await;
    assert_eq!(ids(&blocks, "blocks"), [bob.id.as_str()]);
    assert!(
        ids(
            &app.get_ok("/api/v1/users/me/blocks", &bob.access_token)
                .await,
            "blocks"
        )
        .is_empty()
    );
}

#[tokio::test]
async fn unblocking_restores_visibility() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let block_path = format!("/api/v1/users/{}/block", bob.id);
    app.send(Method::PUT, &block_path, None, &alice.access_token)
        .await;
    assert_eq!(
        app.send(Method::PUT, &block_path, None, &alice.access_token)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );

    let unblocked = app
        .send(Method::DELETE, &block_path, None, &alice.access_token)
        .await;

    assert_eq!(unblocked.status(), StatusCode::NO_CONTENT);
    app.get_ok(&format!("/api/v1/users/{}", alice.id), &bob.access_token)
        .await;
    assert_eq!(
        request_contact(&app, &bob, &alice).await.status(),
        StatusCode::OK
    );
    let again = app
        .send(Method::DELETE, &block_path, None, &alice.access_token)
        .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(again.problem().await.code, "block_not_found");
    let own = app
        .send(
            Method::PUT,
            &format!("/api/v1/users/{}/block", alice.id),
            None,
            &alice.access_token,
        )
        .await;
    assert_eq!(own.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let ghost = app
        .send(
            Method::PUT,
            &format!("/api/v1/users/{}/block", uuid::Uuid::now_v7()),
            None,
            &alice.access_token,
        )
        .await;
    assert_eq!(ghost.status(), StatusCode::NOT_FOUND);
}

fn key(byte: u8) -> String {
    STANDARD.encode([byte; 32])
}

fn upload(prekey_ids: std::ops::Range<u32>) -> Value {
    json!({
        "identity_key": key(1),
        "signed_prekey": {"key_id": 7, "public_key": key(2), "signature": STANDARD.encode([3u8; 64])},
        "one_time_prekeys": prekey_ids.map(|id| json!({"key_id": id, "public_key": key(id as u8)})).collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn a_key_bundle_hands_out_each_one_time_prekey_once() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let uploaded = app
        .put_json(
            "/api/v1/users/me/keys",
            &upload(10..13),
            &alice.access_token,
        )
        .await;
    assert_eq!(uploaded.status(), StatusCode::OK);
    assert_eq!(
        uploaded.json::<Value>().await.unwrap()["one_time_prekeys_left"],
        3
    );

    let mut claimed = Vec::new();
    for _ in 0..3 {
        let bundle = app
            .get_ok(
                &format!("/api/v1/users/{}/keys", alice.id),
                &bob.access_token,
            )
            .await;
        assert_eq!(bundle["identity_key"], key(1));
        assert_eq!(bundle["signed_prekey"]["key_id"], 7);
        claimed.push(bundle["one_time_prekey"]["key_id"].as_u64().unwrap());
    }
    let exhausted = app
        .get_ok(
            &format!("/api/v1/users/{}/keys", alice.id),
            &bob.access_token,
        )
        .await;

    assert_eq!(claimed, [10, 11, 12]);
    assert_eq!(exhausted["one_time_prekey"], Value::Null);
    assert_eq!(exhausted["identity_key"], key(1));
}

#[tokio::test]
async fn once_one_time_prekeys_run_out_the_fallback_is_handed_out() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let none_yet = app
        .get("/api/v1/users/me/keys", Some(&alice.access_token))
        .await;
    assert_eq!(none_yet.status(), StatusCode::NOT_FOUND);
    let mut keys = upload(10..11);
    keys["fallback_prekey"] =
        json!({"key_id": 99, "public_key": key(9), "signature": STANDARD.encode([4u8; 64])});
    let uploaded = app
        .put_json("/api/v1/users/me/keys", &keys, &alice.access_token)
        .await;
    assert_eq!(
        uploaded.json::<Value>().await.unwrap(),
        json!({"one_time_prekeys_left": 1, "has_fallback_prekey": true})
    );
    let path = format!("/api/v1/users/{}/keys", alice.id);

    let first = app.get_ok(&path, &bob.access_token).await;
    let second = app.get_ok(&path, &bob.access_token).await;

    assert_eq!(first["one_time_prekey"]["key_id"], 10);
    assert_eq!(first["fallback_prekey"], Value::Null);
    assert_eq!(second["one_time_prekey"], Value::Null);
    assert_eq!(second["fallback_prekey"]["key_id"], 99);
    assert_eq!(second["fallback_prekey"]["public_key"], key(9));
    // The owner sees they ran out, and an upload without a fallback keeps the stored one.
    let status = app
        .get_ok("/api/v1/users/me/keys", &alice.access_token)
        .await;
    assert_eq!(
        status,
        json!({"one_time_prekeys_left": 0, "has_fallback_prekey": true})
    );
    app.put_json(
        "/api/v1/users/me/keys",
        &upload(20..22),
        &alice.access_token,
    )
    .await;
    let status = app
        .get_ok("/api/v1/users/me/keys", &alice.access_token)
        .await;
    assert_eq!(
        status,
        json!({"one_time_prekeys_left": 2, "has_fallback_prekey": true})
    );
}

#[tokio::test]
async fn one_caller_cannot_drain_someone_s_prekeys() {
    let app = spawn_app_with(|s| {
        s.rate_limit.prekey_claims_per_caller.max = 3;
        s.rate_limit.prekey_claims_per_caller.per_secs = 3600;
    })
    .await;
    let alice = app.register("alice").await;
    let mallory = app.register("mallory").await;
    let bob = app.register("bob").await;
    app.put_json("/api/v1/users/me/keys", &upload(0..50), &alice.access_token)
        .await;
    let path = format!("/api/v1/users/{}/keys", alice.id);
    for _ in 0..3 {
        app.get_ok(&path, &mallory.access_token).await;
    }

    let refused = app.get(&path, Some(&mallory.access_token)).await;

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let bundle = app.get_ok(&path, &bob.access_token).await;
    assert_eq!(bundle["one_time_prekey"]["key_id"], 3);
    let status = app
        .get_ok("/api/v1/users/me/keys", &alice.access_token)
        .await;
    assert_eq!(status["one_time_prekeys_left"], 46);
}

#[tokio::test]
async fn concurrent_bundle_fetches_never_share_a_prekey() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    app.put_json("/api/v1/users/me/keys", &upload(0..5), &alice.access_token)
        .await;
    let path = format!("/api/v1/users/{}/keys", alice.id);

    let bundles =
        futures_util::future::join_all((0..12).map(|_| app.get_ok(&path, &bob.access_token))).await;

    let mut claimed: Vec<u64> = bundles
        .iter()
        .filter_map(|b| b["one_time_prekey"]["key_id"].as_u64())
        .collect();
    claimed.sort_unstable();
    assert_eq!(claimed, [0, 1, 2, 3, 4]);
}

#[tokio::test]
async fn invalid_keys_are_refused_and_missing_or_hidden_keys_are_not_found() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    let mut not_base64 = upload(0..1);
    not_base64["identity_key"] = json!("not base64!");
    let mut too_big = upload(0..1);
    too_big["signed_prekey"]["signature"] = json!(STANDARD.encode([0u8; 600]));
    let mut duplicate = upload(0..2);
    duplicate["one_time_prekeys"][1]["key_id"] = json!(0);
    for (body, field) in [
        (not_base64, "identity_key"),
        (too_big, "signed_prekey.signature"),
        (duplicate, "one_time_prekeys"),
        (upload(0..101), "one_time_prekeys"),
    ] {
        let response = app
            .put_json("/api/v1/users/me/keys", &body, &alice.access_token)
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}"
        );
        assert_eq!(response.problem().await.fields, [field]);
    }

    let none = app
        .get(
            &format!("/api/v1/users/{}/keys", alice.id),
            Some(&bob.access_token),
        )
        .await;
    assert_eq!(none.status(), StatusCode::NOT_FOUND);
    assert_eq!(none.problem().await.code, "keys_not_found");

    app.put_json("/api/v1/users/me/keys", &upload(0..2), &alice.access_token)
        .await;
    app.send(
        Method::PUT,
        &format!("/api/v1/users/{}/block", bob.id),
        None,
        &alice.access_token,
    )
    .await;
    let hidden = app
        .get(
            &format!("/api/v1/users/{}/keys", alice.id),
            Some(&bob.access_token),
        )
        .await;
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
}
