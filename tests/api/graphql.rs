//! `POST /graphql`: the same chat as REST, the same rules and the same error codes.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ResponseExt, TestApp, TestUser, spawn_app, spawn_app_with};

/// Runs an operation; returns the whole response body (`data`, `errors`, `extensions`).
pub(crate) async fn gql(
    app: &TestApp,
    user: Option<&TestUser>,
    query: &str,
    variables: Value,
) -> Value {
    let body = json!({"query": query, "variables": variables});
    let token = user.map(|u| u.access_token.as_str());
    let response = app.post_json("/graphql", &body, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    response.json().await.expect("a JSON body")
}

/// The data of an operation that must succeed.
pub(crate) async fn data(app: &TestApp, user: &TestUser, query: &str, variables: Value) -> Value {
    let body = gql(app, Some(user), query, variables).await;
    assert!(body.get("errors").is_none(), "{query}: {body}");
    body["data"].clone()
}

/// The `extensions` of the first error of an operation that must fail.
async fn error(app: &TestApp, user: Option<&TestUser>, query: &str, variables: Value) -> Value {
    let body = gql(app, user, query, variables).await;
    body["errors"][0]["extensions"].clone()
}

const SEND: &str = "mutation($c: UUID!, $input: SendMessageInput!) {
    sendMessage(conversationId: $c, input: $input) {
        created message { id seq content clientMessageId sender { username } }
    }
}";

const PAGE: &str = "query($c: UUID!, $last: Int, $before: String, $first: Int, $after: String) {
    conversation(id: $c) {
        messages(last: $last, before: $before, first: $first, after: $after) {
            edges { cursor node { seq content deleted sender { username }
                reactions { emoji count me } } }
            pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
        }
    }
}";

pub(crate) async fn create_group(app: &TestApp, owner: &TestUser, members: &[&TestUser]) -> String {
    let ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
    let created = data(
        app,
        owner,
        "mutation($input: CreateConversationInput!) {
            createConversation(input: $input) { created conversation { id kind role } }
        }",
        json!({"input": {"kind": "GROUP", "title": "Book club", "memberIds": ids}}),
    )
    .await;
    let payload = &created["createConversation"];
    assert_eq!(payload["created"], true);
    assert_eq!(payload["conversation"]["kind"], "GROUP");
    assert_eq!(payload["conversation"]["role"], "OWNER");
    payload["conversation"]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

fn contents(page: &Value) -> Vec<String> {
    page["conversation"]["messages"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            e["node"]["content"]
                .as_str()
                .unwrap_or("<deleted>")
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_whole_chat_runs_through_graphql() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let chat = create_group(&app, &alice, &[&bob]).await;

    let input = json!({"content": "Hello Bob", "clientMessageId": "c-1"});
    let sent = data(&app, &alice, SEND, json!({"c": chat, "input": input})).await;
    let sent = &sent["sendMessage"];
    assert_eq!(sent["created"], true);
    assert_eq!(sent["message"]["sender"]["username"], "alice");
    let retried = data(&app, &alice, SEND, json!({"c": chat, "input": input})).await;
    assert_eq!(retried["sendMessage"]["created"], false);
    assert_eq!(
        retried["sendMessage"]["message"]["id"],
        sent["message"]["id"]
    );
    let message = sent["message"]["id"].as_str().unwrap().to_owned();

    let edited = data(
        &app,
        &alice,
        "mutation($c: UUID!, $m: UUID!) {
            editMessage(conversationId: $c, messageId: $m, content: \"Hello, Bob\") { content }
        }",
        json!({"c": chat, "m": message}),
    )
    .await;
    assert_eq!(edited["editMessage"]["content"], "Hello, Bob");
    data(
        &app,
        &bob,
        "mutation($c: UUID!, $m: UUID!) {
            addReaction(conversationId: $c, messageId: $m, emoji: \"👍\")
        }",
        json!({"c": chat, "m": message}),
    )
    .await;

    let seen_by_bob = data(&app, &bob, PAGE, json!({"c": chat})).await;
    assert_eq!(contents(&seen_by_bob), ["Hello, Bob"]);
    let node = &seen_by_bob["conversation"]["messages"]["edges"][0]["node"];
    assert_eq!(node["sender"]["username"], "alice");
    assert_eq!(
        node["reactions"],
        json!([{"emoji": "👍", "count": 1, "me": true}])
    );
    let seen_by_alice = data(&app, &alice, PAGE, json!({"c": chat})).await;
    let node = &seen_by_alice["conversation"]["messages"]["edges"][0]["node"];
    assert_eq!(
        node["reactions"],
        json!([{"emoji": "👍", "count": 1, "me": false}])
    );

    let chats = "{ chats { edges { node { id unreadCount lastMessage { content sender { username } } } } } }";
    let before_read = data(&app, &bob, chats, json!({})).await;
    let row = &before_read["chats"]["edges"][0]["node"];
    assert_eq!(row["id"], chat.as_str());
    assert_eq!(row["unreadCount"], 1);
    assert_eq!(row["lastMessage"]["content"], "Hello, Bob");
    assert_eq!(row["lastMessage"]["sender"]["username"], "alice");
    let read = data(
        &app,
        &bob,
        "mutation($c: UUID!) { markRead(conversationId: $c, seq: 1) }",
        json!({"c": chat}),
    )
    .await;
    assert_eq!(read["markRead"], 1);
    let after_read = data(&app, &bob, chats, json!({})).await;
    assert_eq!(after_read["chats"]["edges"][0]["node"]["unreadCount"], 0);

    let found = data(
        &app,
        &bob,
        "{ searchMessages(query: \"hello\") { id content } }",
        json!({}),
    )
    .await;
    assert_eq!(found["searchMessages"][0]["id"], message.as_str());

    data(
        &app,
        &alice,
        "mutation($c: UUID!, $m: UUID!) { deleteMessage(conversationId: $c, messageId: $m) }",
        json!({"c": chat, "m": message}),
    )
    .await;
    let after_delete = data(&app, &bob, PAGE, json!({"c": chat})).await;
    let node = &after_delete["conversation"]["messages"]["edges"][0]["node"];
    assert_eq!(node["deleted"], true);
    assert_eq!(node["content"], Value::Null);

    // REST sees the same conversation.
    let rest = app
        .get_ok(
            &format!("/api/v1/conversations/{chat}/messages"),
            &bob.access_token,
        )
        .await;
    assert_eq!(rest["messages"][0]["id"], message.as_str());
}

#[tokio::test]
async fn history_pages_by_seq_in_both_directions() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let chat = create_group(&app, &alice, &[]).await;
    for n in 1..=5 {
        app.send_message(&alice, &chat, &format!("m{n}")).await;
    }

    let newest = data(&app, &alice, PAGE, json!({"c": chat, "last": 2})).await;
    assert_eq!(contents(&newest), ["m4", "m5"]);
    let info = &newest["conversation"]["messages"]["pageInfo"];
    assert_eq!(info["hasPreviousPage"], true);
    assert_eq!(info["hasNextPage"], false);

    let before = info["startCursor"].clone();
    let older = data(
        &app,
        &alice,
        PAGE,
        json!({"c": chat, "last": 2, "before": before}),
    )
    .await;
    assert_eq!(contents(&older), ["m2", "m3"]);
    let info = &older["conversation"]["messages"]["pageInfo"];
    let oldest = data(
        &app,
        &alice,
        PAGE,
        json!({"c": chat, "last": 2, "before": info["startCursor"]}),
    )
    .await;
    assert_eq!(contents(&oldest), ["m1"]);
    assert_eq!(
        oldest["conversation"]["messages"]["pageInfo"]["hasPreviousPage"],
        false
    );

    // Catching up: forward from a seq, oldest first.
    let forward = data(
        &app,
        &alice,
        PAGE,
        json!({"c": chat, "first": 2, "after": "2"}),
    )
    .await;
    assert_eq!(contents(&forward), ["m3", "m4"]);
    let info = &forward["conversation"]["messages"]["pageInfo"];
    assert_eq!(info["hasNextPage"], true);
    let rest = data(
        &app,
        &alice,
        PAGE,
        json!({"c": chat, "first": 2, "after": info["endCursor"]}),
    )
    .await;
    assert_eq!(contents(&rest), ["m5"]);
}

#[tokio::test]
async fn errors_carry_rests_codes_and_change_nothing() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mallory = app.register("mallory").await;
    let chat = create_group(&app, &alice, &[]).await;

    let anonymous = error(&app, None, "{ viewer { email } }", json!({})).await;
    assert_eq!(anonymous["code"], "missing_token");
    assert_eq!(anonymous["status"], 401);

    let stranger = error(&app, Some(&mallory), PAGE, json!({"c": chat})).await;
    assert_eq!(stranger["code"], "conversation_not_found");
    assert_eq!(stranger["status"], 404);

    let blank = json!({"content": "   ", "clientMessageId": "ü is not ASCII"});
    let invalid = error(&app, Some(&alice), SEND, json!({"c": chat, "input": blank})).await;
    assert_eq!(invalid["code"], "validation_failed");
    let fields: Vec<&str> = invalid["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["content", "clientMessageId"]);

    let bad_cursor = error(
        &app,
        Some(&alice),
        PAGE,
        json!({"c": chat, "last": 2, "before": "not a cursor"}),
    )
    .await;
    assert_eq!(bad_cursor["fields"][0]["field"], "before");
    let too_many = error(&app, Some(&alice), PAGE, json!({"c": chat, "last": 101})).await;
    assert_eq!(too_many["fields"][0]["field"], "last");

    let page = data(&app, &alice, PAGE, json!({"c": chat})).await;
    assert_eq!(contents(&page), Vec::<String>::new(), "nothing was stored");

    // A bad token is refused before any operation runs, as on REST.
    let response = app
        .post_json(
            "/graphql",
            &json!({"query": "{ viewer { email } }"}),
            Some("nope"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let problem = response.problem().await;
    assert_eq!(problem.code, "invalid_token");
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.problem().await.code, "invalid_json");
}

#[tokio::test]
async fn the_chat_list_costs_the_same_statements_for_5_or_50_conversations() {
    // Pages sorted in the database: with the order in memory, a page costs one statement
    // more or less as the log reader is behind or not, which is timing, not rows.
    let app = spawn_app_with(|s| {
        s.graphql.report_statements = true;
        s.conversations.chat_order_entries = 0;
    })
    .await;
    let alice = app.register("alice").await;
    let mut friends = Vec::new();
    for n in 0..5 {
        friends.push(app.register(&format!("friend{n}")).await);
    }
    let query = "{ chats(first: 50) { edges { node { id unreadCount otherUser { username }
        lastMessage { content sender { username } } } } } }";
    let statements = |body: &Value| body["extensions"]["statements"].as_u64().expect("a count");

    let mut made = 0;
    let mut counts = Vec::new();
    for target in [5, 50] {
        while made < target {
            let friend = &friends[made % friends.len()];
            let chat = if made < friends.len() {
                let body = json!({"kind": "direct", "user_id": friend.id});
                let response = app
                    .post_json("/api/v1/conversations", &body, Some(&alice.access_token))
                    .await;
                response.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            } else {
                app.create_group(&alice, &format!("group {made}"), &[friend])
                    .await
            };
            app.send_message(friend, &chat, "hi").await;
            made += 1;
        }
        let body = gql(&app, Some(&alice), query, json!({})).await;
        assert!(body.get("errors").is_none(), "{body}");
        let rows = body["data"]["chats"]["edges"].as_array().unwrap();
        assert_eq!(rows.len(), target);
        assert!(
            rows.iter()
                .all(|r| r["node"]["lastMessage"]["sender"]["username"].is_string())
        );
        counts.push(statements(&body));
    }
    assert!(counts[0] > 0, "statements are counted: {counts:?}");
    // Senders and other sides load once per page: a statement per row would add 45.
    assert_eq!(counts[0], counts[1], "5 and 50 conversations: {counts:?}");
}
