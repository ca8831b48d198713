//! The public API as the benchmark's clients use it: HTTP calls and WebSocket connections.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt, stream};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{WebSocketStream, client_async};

pub type Ws = WebSocketStream<tokio::net::TcpStream>;

pub const PASSWORD: &str = "bench password, not a secret";

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub token: String,
}

#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    pub base: String,
    /// Names are unique per run, so that runs against one server do not collide.
    run: String,
}

impl Api {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client without TLS builds");
        Self {
            http,
            base: base.to_owned(),
            run: uuid::Uuid::now_v7().simple().to_string()[20..].to_owned(),
        }
    }

    /// Another instance of the same server, sharing the client's connection pool and names.
    pub fn at(&self, base: &str) -> Self {
        Self {
            http: self.http.clone(),
            base: base.to_owned(),
            run: self.run.clone(),
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("{method} {path}: {status}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Waits until every reader of the server's event log has caught up (each
    /// `events_lag_seconds` series at 0, twice in a row), so that what seeding caused
    /// (notifications of the seeded messages) is not counted in the measured phase. `false`
    /// when the server's metrics cannot be read or it did not settle within `deadline`.
    pub async fn settle(&self, deadline: Duration) -> bool {
        let until = Instant::now() + deadline;
        let mut quiet = 0;
        while Instant::now() < until {
            let Some(lags) = self.event_lags().await else {
                return false;
            };
            quiet = if !lags.is_empty() && lags.iter().all(|lag| *lag == 0.0) {
                quiet + 1
            } else {
                0
            };
            if quiet == 2 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        false
    }

    async fn event_lags(&self) -> Option<Vec<f64>> {
        let response = self
            .http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        let text = response.text().await.ok()?;
        Some(
            text.lines()
                .filter(|line| line.starts_with("events_lag_seconds{"))
                .filter_map(|line| line.rsplit(' ').next()?.parse().ok())
                .collect(),
        )
    }

    pub async fn get(&self, path: &str, token: &str) -> anyhow::Result<Value> {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> anyhow::Result<Value> {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn register(&self, index: usize) -> anyhow::Result<User> {
        let username = format!("b{}_{index}", self.run);
        let body = json!({
            "username": username,
            "email": format!("{username}@bench.example.com"),
            "password": PASSWORD,
            "display_name": format!("Bench user {index}"),
        });
        let auth = self
            .call(Method::POST, "/api/v1/auth/register", None, Some(&body))
            .await?;
        Ok(User {
            id: text(&auth["user"]["id"])?,
            token: text(&auth["tokens"]["access_token"])?,
        })
    }

    /// Registers `count` users, a few at a time (password hashing bounds the server's pace).
    pub async fn register_many(&self, count: usize) -> anyhow::Result<Vec<User>> {
        let users: Vec<anyhow::Result<User>> = stream::iter(0..count)
            .map(|index| self.register(index))
            .buffered(8)
            .collect()
            .await;
        users.into_iter().collect()
    }

    pub async fn create_group(
        &self,
        owner: &User,
        title: &str,
        members: &[&User],
    ) -> anyhow::Result<String> {
        let ids: Vec<&str> = members.iter().map(|user| user.id.as_str()).collect();
        let body = json!({"kind": "group", "title": title, "member_ids": ids});
        let created = self
            .post("/api/v1/conversations", &owner.token, &body)
            .await?;
        text(&created["id"])
    }

    pub async fn send_message(
        &self,
        user: &User,
        conversation: &str,
        content: &str,
    ) -> anyhow::Result<Value> {
        let path = format!("/api/v1/conversations/{conversation}/messages");
        self.post(&path, &user.token, &json!({"content": content}))
            .await
    }

    /// Every message of a conversation, read forwards page by page.
    pub async fn all_messages(
        &self,
        token: &str,
        conversation: &str,
    ) -> anyhow::Result<Vec<Value>> {
        let base = format!("/api/v1/conversations/{conversation}/messages?limit=100");
        let mut path = format!("{base}&after_seq=0");
        let mut messages = Vec::new();
        loop {
            let mut page = self.get(&path, token).await?;
            if let Value::Array(items) = page["messages"].take() {
                messages.extend(items);
            }
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("{base}&cursor={cursor}"),
                None => return Ok(messages),
            }
        }
    }

    /// An authenticated WebSocket, from the given loopback source address, after `ready`.
    pub async fn connect_ws(&self, token: &str, source: Option<Ipv4Addr>) -> anyhow::Result<Ws> {
        let server: SocketAddr = self
            .base
            .strip_prefix("http://")
            .context("http:// base URL")?
            .parse()
            .context("the base URL names an IP address and port")?;
        let socket = TcpSocket::new_v4()?;
        if let Some(source) = source {
            socket.bind(SocketAddr::new(source.into(), 0))?;
        }
        let stream = socket.connect(server).await?;
        stream.set_nodelay(true)?;
        let url = format!("{}/api/v1/ws", self.base.replacen("http", "ws", 1));
        let mut request = url.into_client_request()?;
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse()?);
        let (mut ws, _) = client_async(request, stream).await?;
        let ready = tokio::time::timeout(Duration::from_secs(30), next_text(&mut ws))
            .await
            .context("no ready frame within 30 s")??;
        if !ready.contains("\"ready\"") {
            bail!("expected a ready frame, got {ready}");
        }
        Ok(ws)
    }
}

/// The next text frame; pings are answered by the library while reading.
pub async fn next_text(ws: &mut Ws) -> anyhow::Result<String> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => return Ok(text.as_str().to_owned()),
            Some(Ok(Message::Close(frame))) => bail!("closed by the server: {frame:?}"),
            Some(Ok(_)) => continue,
            Some(Err(error)) => return Err(error.into()),
            None => bail!("connection ended"),
        }
    }
}

pub async fn send_text(ws: &mut Ws, text: String) -> anyhow::Result<()> {
    ws.send(Message::text(text)).await?;
    Ok(())
}

fn text(value: &Value) -> anyhow::Result<String> {
    value
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("expected a string, got {value}"))
}

/// Runs `count` futures made by `make`, at most `parallel` at a time, failing on the first error.
pub async fn in_parallel<T, F, Fut>(
    count: usize,
    parallel: usize,
    make: F,
) -> anyhow::Result<Vec<T>>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let results: Vec<anyhow::Result<T>> = stream::iter(0..count)
        .map(make)
        .buffered(parallel)
        .collect()
        .await;
    results.into_iter().collect()
}
