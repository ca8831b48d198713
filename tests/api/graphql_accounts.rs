//! Accounts through GraphQL: sign-up, sign-in, sessions, profile, contacts, typing and
//! presence, with REST's rules.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ResponseExt, TestApp, spawn_app, spawn_app_with};

/// Runs an operation with `token`; returns the whole response body.
async fn gql(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    let body = json!({"query": query, "variables": variables});
    let response = app.post_json("/graphql", &body, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    response.json().await.expect("a JSON body")
}

async fn data(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let body = gql(app, Some(token), query, variables).await;
    assert!(body.get("errors").is_none(), "{query}: {body}");
    body["data"].clone()
}

const REGISTER: &str = "mutation($input: RegisterInput!) { register(input: $input) {
    account { id username email } tokens { accessToken refreshToken sessionId } } }";
const LOGIN: &str = "mutation($input: LoginInput!) { login(input: $input) {
    tokens { accessToken refreshToken sessionId } } }";

#[tokio::test]
async fn sign_up_sign_in_and_sessions_run_through_graphql() {
    let app = spawn_app().await;
    let input = json!({"email": "dana@example.com", "username": "dana",
        "password": "correct horse battery", "displayName": "Dana", "deviceName": "phone"});
    let body = gql(&app, None, REGISTER, json!({"input": input})).await;
    let first = body["data"]["register"].clone();
    assert_eq!(first["account"]["username"], "dana", "{body}");
    let token = first["tokens"]["accessToken"].as_str().unwrap().to_owned();
    let me = data(
        &app,
        &token,
        "{ viewer { email user { username } } }",
        json!({}),
    )
    .await;
    assert_eq!(me["viewer"]["email"], "dana@example.com");

    let login = json!({"login": "dana", "password": "correct horse battery"});
    let body = gql(&app, None, LOGIN, json!({"input": login})).await;
    let second = body["data"]["login"]["tokens"].clone();
    let second_token = second["accessToken"].as_str().unwrap().to_owned();
    let sessions = data(
        &app,
        &token,
        "{ sessions { id current deviceName } }",
        json!({}),
    )
    .await;
    let sessions = sessions["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2);
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current[0]["id"], first["tokens"]["sessionId"]);
    assert_eq!(current[0]["deviceName"], "phone");

    let revoke = "mutation($id: UUID!) { revokeSession(id: $id) }";
    data(&app, &token, revoke, json!({"id": second["sessionId"]})).await;
    let refused = app
        .post_json(
            "/graphql",
            &json!({"query": "{ sessions { id } }"}),
            Some(&second_token),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    let activity = data(
        &app,
        &token,
        "{ activity { edges { node { kind deviceName } } } }",
        json!({}),
    )
    .await;
    let kinds: Vec<&str> = activity["activity"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.first(),
        Some(&"session_revoked"),
        "newest first: {kinds:?}"
    );
    assert!(kinds.contains(&"login"), "{kinds:?}");

    let refresh = "mutation($t: String!) { refresh(refreshToken: $t) { tokens { accessToken } } }";
    let renewed = gql(
        &app,
        None,
        refresh,
        json!({"t": first["tokens"]["refreshToken"]}),
    )
    .await;
    let renewed = renewed["data"]["refresh"]["tokens"]["accessToken"]
        .as_str()
        .expect("a new access token")
        .to_owned();
    data(&app, &renewed, "mutation { logout }", json!({})).await;
    assert!(!app.token_works(&renewed).await, "signed out");

    let bad = json!({"email": "not an address", "username": "x", "password": "short",
        "displayName": "  "});
    let body = gql(&app, None, REGISTER, json!({"input": bad})).await;
    let extensions = &body["errors"][0]["extensions"];
    assert_eq!(extensions["code"], "validation_failed");
    let fields: Vec<&str> = extensions["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"email") && fields.contains(&"displayName"),
        "{fields:?}"
    );
}

#[tokio::test]
async fn profile_contacts_typing_and_presence_run_through_graphql() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let (a, b) = (alice.access_token.as_str(), bob.access_token.as_str());

    let update = "mutation { updateProfile(input: {displayName: \"Alice A.\", bio: \"hi\"}) {
        user { displayName bio } } }";
    let updated = data(&app, a, update, json!({})).await;
    assert_eq!(updated["updateProfile"]["user"]["displayName"], "Alice A.");

    // A picture uploaded over REST becomes the avatar by its id; null removes it.
    let picture = crate::avatars::upload(&app, &alice, &crate::avatars::png(7)).await;
    let set = "mutation($p: UUID) { updateProfile(input: {avatarId: $p}) { user { avatarId displayName } } }";
    let with = data(&app, a, set, json!({"p": picture})).await;
    assert_eq!(with["updateProfile"]["user"]["avatarId"], picture.as_str());
    assert_eq!(
        with["updateProfile"]["user"]["displayName"], "Alice A.",
        "left as it was"
    );
    let without = data(&app, a, set, json!({"p": null})).await;
    assert_eq!(without["updateProfile"]["user"]["avatarId"], Value::Null);

    let request = "mutation($u: UUID!) { requestContact(userId: $u) { state user { username } } }";
    let asked = data(&app, a, request, json!({"u": bob.id})).await;
    assert_eq!(asked["requestContact"]["state"], "OUTGOING");
    let list = "{ contacts { contacts { user { username } } incoming { user { username } } } }";
    let pending = data(&app, b, list, json!({})).await;
    assert_eq!(
        pending["contacts"]["incoming"][0]["user"]["username"],
        "alice"
    );
    let accept = "mutation($u: UUID!) { acceptContact(userId: $u) { state } }";
    let accepted = data(&app, b, accept, json!({"u": alice.id})).await;
    assert_eq!(accepted["acceptContact"]["state"], "ACCEPTED");
    let mine = data(&app, a, list, json!({})).await;
    assert_eq!(mine["contacts"]["contacts"][0]["user"]["username"], "bob");

    let presence = "query($u: [UUID!]!) { presence(userIds: $u) { userId status } }";
    let seen = data(&app, a, presence, json!({"u": [bob.id]})).await;
    assert_eq!(seen["presence"][0]["status"], "OFFLINE");
    let mut bob_ws = app.ws(b).await;
    let seen = data(&app, a, presence, json!({"u": [bob.id]})).await;
    assert_eq!(seen["presence"][0]["status"], "ONLINE");

    let chat = app.create_group(&alice, "Book club", &[&bob]).await;
    let typing = "mutation($c: UUID!) { setTyping(conversationId: $c, typing: true) }";
    data(&app, a, typing, json!({"c": chat})).await;
    let event = bob_ws.expect("typing").await;
    assert_eq!(event["data"]["user_id"], alice.id.as_str());
    assert_eq!(event["data"]["typing"], true);
}

#[tokio::test]
async fn settings_and_push_devices_run_through_graphql() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let a = alice.access_token.as_str();

    let update = "mutation { updateSettings(input: {presence: NOBODY, emailDigest: true}) {
        presence lastSeen emailDigest } }";
    let updated = data(&app, a, update, json!({})).await;
    assert_eq!(updated["updateSettings"]["presence"], "NOBODY");
    assert_eq!(
        updated["updateSettings"]["lastSeen"], "EVERYONE",
        "left as it was"
    );
    let rest = app.get_ok("/api/v1/users/me/settings", a).await;
    assert_eq!(rest["privacy"]["presence"], "nobody");
    assert_eq!(rest["notifications"]["email_digest"], true);

    let register = "mutation($t: String!) { registerDevice(platform: \"android\", token: $t) {
        created device { id platform } } }";
    let first = data(&app, a, register, json!({"t": "fcm-1"})).await;
    assert_eq!(first["registerDevice"]["created"], true);
    let again = data(&app, a, register, json!({"t": "fcm-1"})).await;
    assert_eq!(again["registerDevice"]["created"], false);
    let id = first["registerDevice"]["device"]["id"].clone();
    let listed = data(&app, a, "{ devices { id platform } }", json!({})).await;
    assert_eq!(
        listed["devices"],
        json!([{"id": id, "platform": "android"}])
    );
    data(
        &app,
        a,
        "mutation($id: UUID!) { removeDevice(id: $id) }",
        json!({"id": id}),
    )
    .await;
    let listed = data(&app, a, "{ devices { id } }", json!({})).await;
    assert_eq!(listed["devices"], json!([]));

    let bad = gql(&app, Some(a), register, json!({"t": ""})).await;
    assert_eq!(
        bad["errors"][0]["extensions"]["fields"][0]["field"],
        "token"
    );
}

#[tokio::test]
async fn keys_are_uploaded_and_claimed_through_graphql() {
    use base64::Engine;
    let key = |byte: u8| base64::engine::general_purpose::STANDARD.encode([byte; 32]);
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    let upload = "mutation($input: UploadKeysInput!) { uploadKeys(input: $input) {
        oneTimePrekeysLeft hasFallbackPrekey } }";
    let signature = base64::engine::general_purpose::STANDARD.encode([3u8; 64]);
    let input = json!({"identityKey": key(1),
        "signedPrekey": {"keyId": 7, "publicKey": key(2), "signature": signature},
        "oneTimePrekeys": [{"keyId": 10, "publicKey": key(10)}]});
    let status = data(&app, &alice.access_token, upload, json!({"input": input})).await;
    assert_eq!(status["uploadKeys"]["oneTimePrekeysLeft"], 1);

    let claim = "mutation($u: UUID!) { claimKeyBundle(userId: $u) {
        identityKey signedPrekey { keyId } oneTimePrekey { keyId } } }";
    let bundle = data(&app, &bob.access_token, claim, json!({"u": alice.id})).await;
    assert_eq!(bundle["claimKeyBundle"]["identityKey"], key(1));
    assert_eq!(bundle["claimKeyBundle"]["oneTimePrekey"]["keyId"], 10);
    let again = data(&app, &bob.access_token, claim, json!({"u": alice.id})).await;
    assert_eq!(
        again["claimKeyBundle"]["oneTimePrekey"],
        Value::Null,
        "each once"
    );
    let left = data(
        &app,
        &alice.access_token,
        "{ keyStatus { oneTimePrekeysLeft } }",
        json!({}),
    )
    .await;
    assert_eq!(left["keyStatus"]["oneTimePrekeysLeft"], 0);

    let mut bad = input.clone();
    bad["signedPrekey"]["publicKey"] = json!("not base64!");
    let body = gql(
        &app,
        Some(&alice.access_token),
        upload,
        json!({"input": bad}),
    )
    .await;
    let field = &body["errors"][0]["extensions"]["fields"][0]["field"];
    assert_eq!(field, "signedPrekey.publicKey");
}

/// A GraphQL multipart request (operations, map, one file) uploading `bytes`.
async fn upload(app: &TestApp, token: &str, bytes: &[u8]) -> reqwest::Response {
    const BOUNDARY: &str = "graphql-test-boundary";
    let operations = json!({"query": "mutation($file: Upload!) { uploadAttachment(file: $file) {
        id contentType size width hasThumbnail } }", "variables": {"file": null}});
    let mut body = format!(
        "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
         --{BOUNDARY}\r\ncontent-disposition: form-data; name=\"map\"\r\n\r\n{{\"0\": [\"variables.file\"]}}\r\n\
         --{BOUNDARY}\r\ncontent-disposition: form-data; name=\"0\"; filename=\"cat.png\"\r\n\
         content-type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    app.client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn a_file_uploaded_through_graphql_is_sent_like_any_other() {
    let app = spawn_app_with(|s| s.attachments.max_bytes = 64 * 1024).await;
    let alice = app.register("alice").await;
    let chat = app.create_group(&alice, "Pictures", &[]).await;

    let uploaded = upload(&app, &alice.access_token, &crate::avatars::png(9)).await;
    assert_eq!(uploaded.status(), StatusCode::OK);
    let body: Value = uploaded.json().await.unwrap();
    let file = &body["data"]["uploadAttachment"];
    assert_eq!(file["contentType"], "image/png", "{body}");
    let send = "mutation($c: UUID!, $f: UUID!) { sendMessage(conversationId: $c,
        input: {attachmentIds: [$f]}) { message { attachmentIds } } }";
    let sent = data(
        &app,
        &alice.access_token,
        send,
        json!({"c": chat, "f": file["id"]}),
    )
    .await;
    assert_eq!(
        sent["sendMessage"]["message"]["attachmentIds"],
        json!([file["id"]])
    );

    // Over the size limit: refused as REST refuses it, and nothing is kept.
    let stored = crate::attachments::stored_files(&app).await;
    let too_big = upload(&app, &alice.access_token, &vec![0u8; 128 * 1024]).await;
    assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_big.problem().await.code, "too_large");
    assert_eq!(crate::attachments::stored_files(&app).await, stored);
}

/// Presence for many users costs the statements it costs for a few: who may see whom is read
/// for all of them at once, not per user.
#[tokio::test]
async fn presence_costs_the_same_statements_for_3_or_30_users() {
    let app = spawn_app_with(|s| s.graphql.report_statements = true).await;
    let alice = app.register("alice").await;
    let mut users = Vec::new();
    for n in 0..30 {
        users.push(app.register(&format!("user{n}")).await);
    }
    let query = "query($u: [UUID!]!) { presence(userIds: $u) { userId status lastSeenAt } }";
    let mut counts = Vec::new();
    for n in [3, 30] {
        let ids: Vec<&str> = users[..n].iter().map(|u| u.id.as_str()).collect();
        let body = gql(&app, Some(&alice.access_token), query, json!({"u": ids})).await;
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(body["data"]["presence"].as_array().unwrap().len(), n);
        counts.push(body["extensions"]["statements"].as_u64().expect("a count"));
    }
    assert!(counts[0] > 0, "statements are counted: {counts:?}");
    assert_eq!(counts[0], counts[1], "3 and 30 users: {counts:?}");
}
