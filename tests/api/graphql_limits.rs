//! What keeps GraphQL from being abused: depth and cost limits, a cost budget per caller,
//! and per-operation metrics.

use serde_json::json;

use crate::graphql::{create_group, data, gql};
use crate::helpers::{eventually, spawn_app, spawn_app_with};

/// The shape of the introspection query tools send: type references seven levels deep.
const INTROSPECTION: &str = "query IntrospectionQuery { __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description
    fields(includeDeprecated: true) { name args { ...InputValue } type { ...TypeRef }
        isDeprecated deprecationReason }
    inputFields { ...InputValue } interfaces { ...TypeRef }
    enumValues(includeDeprecated: true) { name isDeprecated deprecationReason }
    possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType {
    kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
} } } } } } } }";

#[tokio::test]
async fn deep_or_costly_queries_are_refused_before_running() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    // Twelve pages of 100 messages in one operation: over the default cost of 5,000.
    let chat = create_group(&app, &alice, &[]).await;
    let page = |n| {
        format!("p{n}: messages(last: 100) {{ edges {{ node {{ id seq content createdAt }} }} }} ")
    };
    let pages: String = (0..12).map(page).collect();
    let costly = format!("query($c: UUID!) {{ conversation(id: $c) {{ {pages} }} }}");
    let body = gql(&app, Some(&alice), &costly, json!({"c": chat})).await;
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("too complex"), "{body}");
    assert!(body["data"].is_null(), "{body}");
    let one_page = format!(
        "query($c: UUID!) {{ conversation(id: $c) {{ {} }} }}",
        page(0)
    );
    let body = gql(&app, Some(&alice), &one_page, json!({"c": chat})).await;
    assert!(
        body.get("errors").is_none(),
        "one page is within the limits: {body}"
    );

    // What tools send first (GraphiQL, code generators) fits the default limits.
    let body = gql(&app, None, INTROSPECTION, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let schema = &body["data"]["__schema"];
    assert_eq!(schema["subscriptionType"]["name"], "Subscription");

    let deeper = "{ conversation(id: \"00000000-0000-0000-0000-000000000000\") {
        participants { user { id } }
        messages { edges { node { sender { id } reactions { emoji } receipts { userId } } } } } }";
    let limited = spawn_app_with(|s| s.graphql.max_depth = 4).await;
    let carol = limited.register("carol").await;
    let body = gql(&limited, Some(&carol), deeper, json!({})).await;
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("nested too deep"), "{body}");
}

#[tokio::test]
async fn operations_spend_their_cost_from_the_callers_budget() {
    let app = spawn_app_with(|s| s.rate_limit.graphql_cost_per_caller.max = 1_000).await;
    let alice = app.register("alice").await;
    let chat = create_group(&app, &alice, &[]).await;
    let page = "query($c: UUID!) { conversation(id: $c) {
        messages(last: 100) { edges { node { id seq content } } } } }";

    let first = gql(&app, Some(&alice), page, json!({"c": chat})).await;
    assert!(first.get("errors").is_none(), "{first}");
    let second = gql(&app, Some(&alice), page, json!({"c": chat})).await;
    let extensions = &second["errors"][0]["extensions"];
    assert_eq!(extensions["code"], "rate_limited", "{second}");
    assert_eq!(extensions["status"], 429);
    assert!(extensions["retryAfter"].as_u64().unwrap() >= 1);
    assert!(second["data"].is_null(), "refused before running: {second}");

    // Another caller has a budget of their own.
    let bob = app.register("bob").await;
    data(&app, &bob, "{ viewer { email } }", json!({})).await;
}

#[tokio::test]
async fn operations_are_counted_by_name() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    data(
        &app,
        &alice,
        "query ChatList { chats { edges { node { id } } } }",
        json!({}),
    )
    .await;
    let body = gql(
        &app,
        Some(&alice),
        "query Broken { conversation(id: \"00000000-0000-0000-0000-000000000000\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "conversation_not_found"
    );

    eventually("the operations in /metrics", || async {
        let text = app.get("/metrics", None).await.text().await.ok()?;
        let listed = text.lines().any(|l| {
            l.starts_with("graphql_operation_duration_seconds_count")
                && l.contains(r#"operation="ChatList""#)
                && l.contains(r#"type="query""#)
        });
        let failed = text.lines().any(|l| {
            l.starts_with("graphql_operation_errors_total") && l.contains(r#"operation="Broken""#)
        });
        (listed && failed).then_some(())
    })
    .await;
}
