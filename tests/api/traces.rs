//! Traces: one send, followed from the caller's `traceparent` through the request, the group
//! commit, the event log's consumers (fan-out, notification, push) and out to the push
//! gateway, as exported over OTLP/HTTP to a collector stand-in that the test runs.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{JWT_SECRET, TestApp, eventually};

/// One request the stand-in received: its path, headers (lower-case names) and body.
type Received = (String, Vec<(String, String)>, Value);

/// Answers every request 200 and keeps it: OTLP exports and pushes alike.
async fn collector() -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let mut raw = Vec::new();
                let mut buffer = [0u8; 16 * 1024];
                let request = loop {
                    let Ok(n) = stream.read(&mut buffer).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    raw.extend_from_slice(&buffer[..n]);
                    if let Some(request) = parse(&raw) {
                        break request;
                    }
                };
                kept.lock().expect("lock").push(request);
                let reply = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
                let _ = stream.write_all(reply.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (url, seen)
}

/// A whole request once `raw` holds its head and `content-length` bytes of body.
fn parse(raw: &[u8]) -> Option<Received> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.lines();
    let path = lines.next()?.split(' ').nth(1)?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let body = raw.get(end + 4..end + 4 + length)?;
    Some((
        path,
        headers,
        serde_json::from_slice(body).unwrap_or(Value::Null),
    ))
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Every exported span: (trace id, span id, parent span id, name, attributes, links' trace ids).
fn spans(seen: &[Received]) -> Vec<(String, String, String, String, Value, Vec<String>)> {
    let mut spans = Vec::new();
    for (path, _, body) in seen.iter().filter(|(p, _, _)| p == "/v1/traces") {
        let _ = path;
        for resource in body["resourceSpans"].as_array().into_iter().flatten() {
            for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                for span in scope["spans"].as_array().into_iter().flatten() {
                    let text = |k: &str| span[k].as_str().unwrap_or_default().to_ascii_lowercase();
                    let links = span["links"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|l| l["traceId"].as_str().map(str::to_ascii_lowercase))
                        .collect();
                    spans.push((
                        text("traceId"),
                        text("spanId"),
                        text("parentSpanId"),
                        text("name"),
                        span["attributes"].clone(),
                        links,
                    ));
                }
            }
        }
    }
    spans
}

fn attribute(attributes: &Value, key: &str) -> Option<String> {
    attributes
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)
        .and_then(|a| {
            let value = &a["value"];
            value["stringValue"].as_str().map(str::to_owned)
        })
}

#[tokio::test]
async fn one_send_is_one_trace_from_the_request_to_the_push() {
    let (collector_url, seen) = collector().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_chat-server"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CHAT__APP__DATA_DIR", dir.path())
        .env("CHAT__SERVER__HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("CHAT__AUTH__JWT_SECRET", JWT_SECRET)
        .env("CHAT__AUTH__HASH_CONCURRENCY", "2")
        .env("CHAT__RATE_LIMIT__REGISTER_PER_IP__MAX", "0")
        .env("CHAT__TELEMETRY__OTLP_ENDPOINT", &collector_url)
        .env(
            "CHAT__NOTIFICATIONS__PUSH_WEBHOOK_URL",
            format!("{collector_url}/push"),
        )
        // Export batches often, so the test does not wait for the default 5 s.
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let _server = Server(child);
    let app = TestApp::remote(format!("http://127.0.0.1:{port}"));
    eventually("the server is ready", || async {
        let response = app.client.get(app.url("/health/ready")).send().await.ok()?;
        response.status().is_success().then_some(())
    })
    .await;

    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let device = json!({"platform": "android", "token": "bob-phone"});
    let registered = app
        .post_json("/api/v1/devices", &device, Some(&bob.access_token))
        .await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    let group = app.create_group(&alice, "traced", &[&bob]).await;

    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let caller_span = "00f067aa0ba902b7";
    let sent = app
        .client
        .post(app.url(&format!("/api/v1/conversations/{group}/messages")))
        .bearer_auth(&alice.access_token)
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .json(&json!({"content": "follow me"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status(), StatusCode::CREATED);

    let needed = ["event:realtime", "event:notifications", "event:push"];
    let ours = eventually("the send's whole trace is exported", || async {
        let seen = seen.lock().expect("lock").clone();
        let ours: Vec<_> = spans(&seen)
            .into_iter()
            .filter(|s| s.0 == trace_id)
            .collect();
        let names: HashSet<String> = ours
            .iter()
            .map(
                |(_, _, _, name, attributes, _)| match attribute(attributes, "consumer") {
                    Some(consumer) => format!("{name}:{consumer}"),
                    None => name.clone(),
                },
            )
            .collect();
        let complete = names.contains("http_request")
            && names.contains("db.append_message")
            && needed.iter().all(|n| names.contains(*n));
        complete.then_some((ours, seen))
    })
    .await;
    let (ours, exported) = ours;

    let request = ours
        .iter()
        .find(|s| s.3 == "http_request")
        .expect("request span");
    assert_eq!(
        request.2, caller_span,
        "the request continues the caller's trace"
    );
    let ids: HashSet<&str> = ours.iter().map(|s| s.1.as_str()).collect();
    let orphans: Vec<_> = ours
        .iter()
        .filter(|s| s.1 != request.1 && !ids.contains(s.2.as_str()))
        .map(|s| s.3.clone())
        .collect();
    assert!(
        orphans.is_empty(),
        "every span hangs from the request: {orphans:?}"
    );
    let grouped = spans(&exported)
        .into_iter()
        .any(|s| s.3 == "db.group_commit" && s.5.contains(&trace_id));
    assert!(grouped, "the group commit links to the send's trace");

    let push = eventually("the push of the message's notification", || async {
        let seen = seen.lock().expect("lock").clone();
        seen.into_iter()
            .find(|(path, _, body)| path == "/push" && body["notification"]["kind"] == "message")
    })
    .await;
    let traceparent = push
        .1
        .iter()
        .find(|(k, _)| k == "traceparent")
        .map(|(_, v)| v.clone())
        .expect("the push carries a traceparent");
    assert!(traceparent.contains(&trace_id), "{traceparent}");

    // A GraphQL operation is a span of its own, named by its type and name, in the request's.
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let listed = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&alice.access_token)
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .json(&json!({"query": "query ChatList { chats { edges { node { id } } } }"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(listed.status(), StatusCode::OK);
    let (request, operation) = eventually("the operation's span is exported", || async {
        let seen = seen.lock().expect("lock").clone();
        let ours: Vec<_> = spans(&seen)
            .into_iter()
            .filter(|s| s.0 == trace_id)
            .collect();
        let request = ours.iter().find(|s| s.3 == "http_request")?.clone();
        let operation = ours.iter().find(|s| s.3 == "query chatlist")?.clone();
        Some((request, operation))
    })
    .await;
    assert_eq!(operation.2, request.1, "the operation runs in the request");
}
