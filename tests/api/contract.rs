//! The server answers as its OpenAPI document says: one status per kind of refusal, the
//! document listing each, a wrong method told apart from a wrong path.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ResponseExt, spawn_app};

#[tokio::test]
async fn a_wrong_method_is_405_with_the_methods_the_path_takes() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    for (method, path, allow) in [
        (Method::GET, "/api/v1/auth/login", "POST"),
        (Method::POST, "/api/v1/users/me", "GET, PATCH"),
        // The router would take this for `/auth/sessions/{id}` and refuse the id.
        (
            Method::DELETE,
            "/api/v1/auth/sessions/revoke-others",
            "POST",
        ),
        (
            Method::PUT,
            "/api/v1/conversations/01935f5e-8b5c-7cc4-9d1e-6e1f2a3b4c5d",
            "DELETE, GET, PATCH",
        ),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(&alice.access_token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(response.headers()["allow"], allow, "{method} {path}");
        assert_eq!(response.problem().await.code, "method_not_allowed");
    }
    let unknown = app.get("/api/v1/users/me/nothing", None).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_fields_are_refused_naming_them_and_change_nothing() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let group = app.create_group(&alice, "Book club", &[]).await;
    let path = format!("/api/v1/conversations/{group}");

    let response = app
        .patch_json(&path, &json!({"name": "Renamed"}), &alice.access_token)
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem = response.problem().await;
    assert_eq!(
        (problem.code.as_str(), problem.fields),
        ("invalid_body", vec!["name".to_owned()])
    );
    let response = app
        .patch_json(
            &path,
            &json!({"title": "Renamed", "colour": "red"}),
            &alice.access_token,
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.problem().await.fields, ["colour"]);
    assert_eq!(
        app.get_ok(&path, &alice.access_token).await["title"],
        "Book club"
    );

    let login = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"login": "alice", "password": alice.password, "remember": true}),
            None,
        )
        .await;
    assert_eq!(login.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(login.problem().await.fields, ["remember"]);
}

#[tokio::test]
async fn syntax_errors_are_400_and_wrong_shapes_422() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let group = app.create_group(&alice, "g", &[]).await;
    let path = format!("/api/v1/conversations/{group}");
    for (body, status) in [
        ("[1, 2", StatusCode::BAD_REQUEST),
        ("{\"title\": ", StatusCode::BAD_REQUEST),
        ("{\"title\": \"a\"} trailing", StatusCode::BAD_REQUEST),
        ("[null, null]", StatusCode::UNPROCESSABLE_ENTITY),
        ("{\"title\": 5}", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let response = app
            .client
            .patch(app.url(&path))
            .bearer_auth(&alice.access_token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{body}");
        let code = response.problem().await.code;
        let expected = if status == StatusCode::BAD_REQUEST {
            "malformed_body"
        } else {
            "invalid_body"
        };
        assert_eq!(code, expected, "{body}");
    }
    assert_eq!(app.get_ok(&path, &alice.access_token).await["title"], "g");
}

#[tokio::test]
async fn a_whole_number_written_as_a_float_is_an_integer() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let group = app.create_group(&alice, "g", &[]).await;
    app.send_message(&alice, &group, "one").await;
    let read = app
        .post_json(
            &format!("/api/v1/conversations/{group}/read"),
            &json!({"seq": 1.0}),
            Some(&alice.access_token),
        )
        .await;
    assert!(read.status().is_success(), "{}", read.status());
    let half = app
        .post_json(
            &format!("/api/v1/conversations/{group}/read"),
            &json!({"seq": 1.5}),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(half.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(half.problem().await.fields, ["seq"]);
}

#[tokio::test]
async fn a_bad_query_parameter_is_one_status_whatever_is_wrong_with_it() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    for limit in ["-1", "0", "101", "many", "1.5"] {
        let response = app
            .get(
                &format!("/api/v1/notifications?limit={limit}"),
                Some(&alice.access_token),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{limit}"
        );
        assert_eq!(response.problem().await.fields, ["limit"], "{limit}");
    }
}

#[tokio::test]
async fn the_document_lists_the_refusals_every_operation_can_give() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/api-docs/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    let responses = |path: &str, method: &str| -> Vec<String> {
        let operation = &doc["paths"][path][method];
        operation["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} documented"))
            .keys()
            .cloned()
            .collect()
    };
    let patch = responses("/api/v1/conversations/{id}", "patch");
    for status in ["400", "401", "413", "415", "422"] {
        assert!(
            patch.contains(&status.to_owned()),
            "PATCH conversation: {status} in {patch:?}"
        );
    }
    let history = responses("/api/v1/conversations/{id}/messages", "get");
    for status in ["400", "401", "422"] {
        assert!(
            history.contains(&status.to_owned()),
            "history: {status} in {history:?}"
        );
    }
    let limit = doc["paths"]["/api/v1/notifications"]["get"]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "limit"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(limit["schema"]["minimum"], 1, "{limit}");
    assert_eq!(limit["schema"]["maximum"], 100, "{limit}");
    let body = &doc["components"]["schemas"]["UpdateConversationBody"];
    assert_eq!(body["additionalProperties"], false, "{body}");
    // Files are typed as bytes for each type they are served as.
    let download = &doc["paths"]["/api/v1/attachments/{id}"]["get"]["responses"]["200"]["content"];
    for served in ["image/png", "application/pdf", "audio/ogg"] {
        assert_eq!(
            download[served]["schema"]["format"], "binary",
            "{served}: {download}"
        );
    }
    let thumbnail =
        &doc["paths"]["/api/v1/attachments/{id}/thumbnail"]["get"]["responses"]["200"]["content"];
    assert_eq!(
        thumbnail["image/jpeg"]["schema"]["format"], "binary",
        "{thumbnail}"
    );
}

fn seqs(page: &Value, key: &str) -> Vec<i64> {
    page[key]
        .as_array()
        .expect("a list")
        .iter()
        .map(|m| m["seq"].as_i64().expect("seq"))
        .collect()
}

#[tokio::test]
async fn history_and_threads_page_by_next_cursor_like_every_other_list() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let group = app.create_group(&alice, "g", &[]).await;
    let root = app.send_message(&alice, &group, "root").await;
    for i in 2..=25 {
        let body = json!({"content": format!("m{i}"), "reply_to": root["id"]});
        let sent = app
            .post_json(
                &format!("/api/v1/conversations/{group}/messages"),
                &body,
                Some(&alice.access_token),
            )
            .await;
        assert_eq!(sent.status(), StatusCode::CREATED);
    }
    let history = format!("/api/v1/conversations/{group}/messages");

    for (first, reversed) in [("limit=10", true), ("after_seq=0&limit=7", false)] {
        let mut seen = Vec::new();
        let mut query = first.to_owned();
        loop {
            let page = app
                .get_ok(&format!("{history}?{query}"), &alice.access_token)
                .await;
            let mut page_seqs = seqs(&page, "messages");
            if reversed {
                page_seqs.extend(seen);
                seen = page_seqs;
            } else {
                seen.extend(page_seqs);
            }
            match page["next_cursor"].as_str() {
                Some(cursor) => query = format!("cursor={cursor}&limit=10"),
                None => {
                    assert_eq!(page["has_more"], false);
                    break;
                }
            }
        }
        assert_eq!(seen, (1..=25).collect::<Vec<_>>(), "from {first}");
    }

    let thread = format!("{history}/{}/thread", root["id"].as_str().unwrap());
    let mut replies = Vec::new();
    let mut query = "limit=10".to_owned();
    loop {
        let page = app
            .get_ok(&format!("{thread}?{query}"), &alice.access_token)
            .await;
        replies.extend(seqs(&page, "replies"));
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("cursor={cursor}&limit=10"),
            None => break,
        }
    }
    assert_eq!(replies, (2..=25).collect::<Vec<_>>());

    for query in ["cursor=b5&before_seq=9", "cursor=zz", "cursor=b0"] {
        let response = app
            .get(&format!("{history}?{query}"), Some(&alice.access_token))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
        assert_eq!(response.problem().await.fields, ["cursor"], "{query}");
    }
}

#[tokio::test]
async fn the_socket_has_an_asyncapi_document_naming_the_server_it_came_from() {
    let app = spawn_app().await;
    let response = app.get("/api-docs/asyncapi.json", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["asyncapi"], "3.1.0");
    assert_eq!(doc["channels"]["gateway"]["address"], "/api/v1/ws");
    let host = app.address.trim_start_matches("http://");
    assert_eq!(doc["servers"]["chat"]["host"], host);
    assert_eq!(doc["servers"]["chat"]["protocol"], "ws");
    // The frames the server sends and takes, each a message of its own.
    for name in [
        "command.message.send",
        "ack.message.send",
        "error",
        "ready",
        "event.message.created",
    ] {
        assert!(doc["components"]["messages"][name].is_object(), "{name}");
    }
}
