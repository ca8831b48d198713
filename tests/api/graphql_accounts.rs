//! Accounts through GraphQL: sign-up, sign-in, sessions, profile, contacts, typing and
//! presence, with REST's rules.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

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
