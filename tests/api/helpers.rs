//! Spawns the real server on a random port with a fresh database, and talks to it like a client.
//!
//! SQLite in a temporary folder by default; a new PostgreSQL database (dropped afterwards) when
//! `TEST_DATABASE_URL` is set, Redis when `TEST_REDIS_URL` is set, and files go to a fresh bucket
//! of the S3-compatible store at `TEST_S3_URL` when that is set. `TEST_LOG=1` shows logs.

use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::Duration;

use chat_server::config::{MailTransport, Settings};
use chat_server::startup::Application;
use reqwest::{Response, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery";
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok() {
        chat_server::telemetry::init(false, "info", None);
    }
});

pub struct TestApp {
    pub address: String,
    /// The settings it runs with, for starting a second instance beside it.
    pub settings: Settings,
    pub client: reqwest::Client,
    pub mail_dir: PathBuf,
    /// Where `/metrics` is served when `metrics.listen` gives it its own address.
    pub metrics_address: Option<String>,
    /// `None` for a server in another process.
    server: Option<actix_web::dev::ServerHandle>,
    database: Option<PostgresDatabase>,
    _dir: tempfile::TempDir,
}

/// A throwaway PostgreSQL database, dropped when the app is.
struct PostgresDatabase {
    admin_url: String,
    name: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like `spawn_app`, with settings changed first (e.g. tighter rate limits).
pub async fn spawn_app_with(customise: impl FnOnce(&mut Settings)) -> TestApp {
    LazyLock::force(&TRACING);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::defaults().expect("default settings");
    settings.app.data_dir = dir.path().to_owned();
    settings.server.host = "127.0.0.1".into();
    settings.server.port = 0;
    settings.server.workers = 1;
    settings.auth.jwt_secret = Some(JWT_SECRET.into());
    settings.auth.hash_concurrency = 2;
    settings.mail.transport = MailTransport::File;
    settings.mail.file_dir = dir.path().join("mail");
    // Every test user registers from 127.0.0.1; per-IP limits get their own tests.
    settings.rate_limit.register_per_ip.max = 0;
    settings.rate_limit.login_per_ip.max = 0;
    settings.rate_limit.forgot_per_ip.max = 0;
    settings.rate_limit.reset_per_ip.max = 0;
    settings.realtime.upgrades_per_ip.max = 0;

    let database = match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) => {
            let name = format!("chat_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&admin_url)
                .await
                .expect("connect to TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            settings.database.url = replace_database(&admin_url, &name);
            settings.database.max_connections = 5;
            Some(PostgresDatabase { admin_url, name })
        }
        Err(_) => None,
    };
    if let Ok(redis_url) = std::env::var("TEST_REDIS_URL") {
        settings.redis.url = redis_url;
        settings.redis.key_prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    }
    if let Ok(s3_url) = std::env::var("TEST_S3_URL") {
        // The test store checks no signatures: creating a bucket needs no credentials.
        let bucket = format!("chat-test-{}", uuid::Uuid::new_v4().simple());
        let created = reqwest::Client::new()
            .put(format!("{s3_url}/{bucket}"))
            .send()
            .await
            .expect("TEST_S3_URL reachable");
        assert!(created.status().is_success(), "bucket not created");
        let s3 = &mut settings.attachments.s3;
        s3.bucket = bucket;
        s3.endpoint = s3_url;
        s3.region = "us-east-1".into();
        s3.access_key_id = "test".into();
        s3.secret_access_key = "test".to_owned().into();
    }
    customise(&mut settings);

    let mail_dir = settings.mail.file_dir.clone();
    let app = Application::build(settings.clone())
        .await
        .expect("server builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let server = Some(app.handle());
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}/metrics"));
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        settings,
        client: reqwest::Client::new(),
        mail_dir,
        metrics_address,
        server,
        database,
        _dir: dir,
    }
}

impl TestApp {
    /// On the embedded database, which one instance serves alone.
    pub fn embedded(&self) -> bool {
        self.settings.database_url().starts_with("sqlite")
    }

    /// A client of a server running in another process at `address`.
    pub fn remote(address: String) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        TestApp {
            address,
            settings: Settings::defaults().expect("default settings"),
            client: reqwest::Client::new(),
            mail_dir: dir.path().join("mail"),
            metrics_address: None,
            server: None,
            database: None,
            _dir: dir,
        }
    }
}

/// A second instance sharing `app`'s database and Redis, as when scaled out. `None` without
/// Redis: in-process fan-out cannot cross instances.
pub async fn spawn_twin(app: &TestApp) -> Option<TestApp> {
    std::env::var("TEST_REDIS_URL").ok()?;
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = app.settings.clone();
    let mail_dir = settings.mail.file_dir.clone();
    let twin = Application::build(settings.clone())
        .await
        .expect("twin builds");
    let address = format!("http://127.0.0.1:{}", twin.port());
    let server = Some(twin.handle());
    tokio::spawn(twin.run_until_stopped());
    Some(TestApp {
        address,
        settings,
        client: reqwest::Client::new(),
        mail_dir,
        metrics_address: None,
        server,
        database: None,
        _dir: dir,
    })
}

pub fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(prefix, _)| prefix);
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command at once; nothing needs to wait for it.
        if let Some(server) = &self.server {
            drop(server.stop(false));
        }
        if let Some(db) = self.database.take() {
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(async {
                    let admin = Database::connect(&db.admin_url).await?;
                    admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                            db.name
                        ))
                        .await?;
                    Ok::<_, sea_orm::DbErr>(())
                })?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                eprintln!("could not drop a test database: {dropped:?}");
            }
        }
    }
}

/// A registered user and the tokens of its first session.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub username: String,
    pub email: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
    pub session_id: String,
}

impl TestUser {
    fn from_auth(body: &Value, username: &str, email: &str, password: &str) -> Self {
        Self {
            id: body["user"]["id"].as_str().expect("user id").to_owned(),
            username: username.to_owned(),
            email: email.to_owned(),
            password: password.to_owned(),
            access_token: body["tokens"]["access_token"]
                .as_str()
                .expect("access token")
                .to_owned(),
            refresh_token: body["tokens"]["refresh_token"]
                .as_str()
                .expect("refresh token")
                .to_owned(),
            session_id: body["tokens"]["session_id"]
                .as_str()
                .expect("session id")
                .to_owned(),
        }
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request sent")
    }

    pub async fn post_json(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request sent")
    }

    /// Any method with an optional JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        token: &str,
    ) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request sent")
    }

    pub async fn patch_json(&self, path: &str, body: &Value, token: &str) -> Response {
        self.send(reqwest::Method::PATCH, path, Some(body), token)
            .await
    }

    pub async fn put_json(&self, path: &str, body: &Value, token: &str) -> Response {
        self.send(reqwest::Method::PUT, path, Some(body), token)
            .await
    }

    /// A counter's value on `/metrics`, `series` with its labels (0 before it counts).
    pub async fn counter(&self, series: &str) -> u64 {
        let text = self
            .get("/metrics", None)
            .await
            .text()
            .await
            .expect("metrics");
        let series = format!("{series} ");
        text.lines()
            .find_map(|line| line.strip_prefix(&series))
            .map_or(0, |n| n.trim().parse().expect("a count"))
    }

    /// GET that must succeed; returns the JSON body.
    pub async fn get_ok(&self, path: &str, token: &str) -> Value {
        let response = self.get(path, Some(token)).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("json body")
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        let mut request = self.client.delete(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request sent")
    }

    /// Registers `name` (also its username, and `name@example.com`) with `PASSWORD`.
    pub async fn register(&self, name: &str) -> TestUser {
        let email = format!("{name}@example.com");
        let body =
            json!({"email": email, "username": name, "password": PASSWORD, "display_name": name});
        let response = self.post_json("/api/v1/auth/register", &body, None).await;
        assert_eq!(response.status(), StatusCode::CREATED, "registering {name}");
        let body: Value = response.json().await.expect("json body");
        TestUser::from_auth(&body, name, &email, PASSWORD)
    }

    pub async fn login(&self, login: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/login",
            &json!({"login": login, "password": password}),
            None,
        )
        .await
    }

    /// Signs `user` in once more, as another device.
    pub async fn new_session(&self, user: &TestUser) -> TestUser {
        let response = self.login(&user.username, &user.password).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("json body");
        TestUser::from_auth(&body, &user.username, &user.email, &user.password)
    }

    /// Creates a group owned by `owner` with `members`; returns its id.
    pub async fn create_group(
        &self,
        owner: &TestUser,
        title: &str,
        members: &[&TestUser],
    ) -> String {
        let ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
        let body = json!({"kind": "group", "title": title, "member_ids": ids});
        let response = self
            .post_json("/api/v1/conversations", &body, Some(&owner.access_token))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "creating {title}");
        let body: Value = response.json().await.expect("json body");
        body["id"].as_str().expect("conversation id").to_owned()
    }

    /// `by` adds `user` to the group `conversation`; the caller judges the answer.
    pub async fn add_participant(
        &self,
        by: &TestUser,
        conversation: &str,
        user: &TestUser,
    ) -> Response {
        let path = format!("/api/v1/conversations/{conversation}/participants");
        let body = json!({"user_ids": [user.id]});
        self.post_json(&path, &body, Some(&by.access_token)).await
    }

    /// Sends `content` into `conversation` as `user`; returns the stored message.
    pub async fn send_message(&self, user: &TestUser, conversation: &str, content: &str) -> Value {
        let path = format!("/api/v1/conversations/{conversation}/messages");
        let response = self
            .post_json(
                &path,
                &json!({"content": content}),
                Some(&user.access_token),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "sending {content}");
        response.json().await.expect("json body")
    }

    /// Whether `token` is accepted by an authenticated endpoint.
    pub async fn token_works(&self, token: &str) -> bool {
        let status = self
            .get("/api/v1/auth/sessions", Some(token))
            .await
            .status();
        assert!(
            status == StatusCode::OK || status == StatusCode::UNAUTHORIZED,
            "{status}"
        );
        status == StatusCode::OK
    }

    /// Waits for the next mail to `to` and returns its body.
    pub async fn mail_to(&self, to: &str) -> Option<String> {
        for _ in 0..100 {
            if let Ok(entries) = std::fs::read_dir(&self.mail_dir) {
                for entry in entries.flatten() {
                    if entry.path().extension().is_some_and(|e| e == "json") {
                        let mail: Value =
                            serde_json::from_slice(&std::fs::read(entry.path()).ok()?).ok()?;
                        if mail["to"] == to {
                            return mail["body"].as_str().map(str::to_owned);
                        }
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

pub type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// A WebSocket client that keeps frames it was not waiting for, so no event is lost while
/// waiting for an ack.
pub struct WsClient {
    socket: Socket,
    buffered: std::collections::VecDeque<Value>,
    next_ref: u64,
    pub closed_with: Option<u16>,
}

impl TestApp {
    fn ws_url(&self) -> String {
        format!("{}/api/v1/ws", self.address.replacen("http", "ws", 1))
    }

    /// Opens a WebSocket authenticated by header and waits for `ready`.
    pub async fn ws(&self, token: &str) -> WsClient {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = self.ws_url().into_client_request().expect("ws request");
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
        let stream = tokio::net::TcpStream::connect(self.address.trim_start_matches("http://"))
            .await
            .expect("tcp");
        let (socket, _) = tokio_tungstenite::client_async(request, stream)
            .await
            .expect("ws handshake");
        let mut client = WsClient {
            socket,
            buffered: Default::default(),
            next_ref: 0,
            closed_with: None,
        };
        client.expect("ready").await;
        client
    }

    /// Opens a WebSocket without credentials, on a socket with a tiny receive buffer when
    /// `slow` (so that a client that stops reading backs up quickly).
    pub async fn ws_raw(&self, receive_buffer: Option<u32>) -> WsClient {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let request = self.ws_url().into_client_request().expect("ws request");
        let address: std::net::SocketAddr = self
            .address
            .trim_start_matches("http://")
            .parse()
            .expect("address");
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        if let Some(size) = receive_buffer {
            socket.set_recv_buffer_size(size).expect("buffer size");
        }
        let stream = socket.connect(address).await.expect("tcp");
        let (socket, _) = tokio_tungstenite::client_async(request, stream)
            .await
            .expect("ws handshake");
        WsClient {
            socket,
            buffered: Default::default(),
            next_ref: 0,
            closed_with: None,
        }
    }
}

impl WsClient {
    pub async fn send_json(&mut self, value: Value) {
        use futures_util::SinkExt;
        self.socket
            .send(tokio_tungstenite::tungstenite::Message::text(
                value.to_string(),
            ))
            .await
            .expect("ws send");
    }

    pub async fn send_raw(&mut self, message: tokio_tungstenite::tungstenite::Message) {
        use futures_util::SinkExt;
        self.socket.send(message).await.expect("ws send");
    }

    /// The next frame from the server, or `None` at close or after `within`.
    async fn read(&mut self, within: Duration) -> Option<Value> {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()??;
            match frame {
                Ok(Message::Text(text)) => return serde_json::from_str(&text).ok(),
                Ok(Message::Close(reason)) => {
                    self.closed_with = Some(reason.map_or(1005, |r| u16::from(r.code)));
                    return None;
                }
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// The next event of `kind` within `within`, keeping others for later.
    pub async fn next_event_within(&mut self, kind: &str, within: Duration) -> Option<Value> {
        if let Some(i) = self.buffered.iter().position(|f| f["type"] == kind) {
            return self.buffered.remove(i);
        }
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self.read(left).await?;
            if frame["type"] == kind {
                return Some(frame);
            }
            self.buffered.push_back(frame);
        }
    }

    /// The next event of `kind`; fails the test after 5 s.
    pub async fn expect(&mut self, kind: &str) -> Value {
        match self.next_event_within(kind, Duration::from_secs(5)).await {
            Some(frame) => frame,
            None => panic!("no {kind} event within 5 s (buffered: {:?})", self.buffered),
        }
    }

    /// Sends a command with a fresh `ref` and returns the `ack` or `error` answering it.
    pub async fn command(&mut self, mut command: Value) -> Value {
        self.next_ref += 1;
        let reference = self.next_ref;
        command["ref"] = json!(reference);
        self.send_json(command).await;
        self.reply(json!(reference)).await
    }

    /// The `ack` or `error` frame carrying `reference`.
    pub async fn reply(&mut self, reference: Value) -> Value {
        let matches =
            |f: &Value| (f["type"] == "ack" || f["type"] == "error") && f["ref"] == reference;
        if let Some(i) = self.buffered.iter().position(matches) {
            return self.buffered.remove(i).expect("buffered");
        }
        loop {
            let frame = self.read(PATIENCE).await.expect("a reply");
            if matches(&frame) {
                return frame;
            }
            self.buffered.push_back(frame);
        }
    }

    /// The frames read and kept so far, oldest first.
    pub fn take_buffered(&mut self) -> Vec<Value> {
        self.buffered.drain(..).collect()
    }

    /// Asserts that nothing of `kind` arrives within `within`.
    pub async fn assert_no_event(&mut self, kind: &str, within: Duration) {
        if let Some(frame) = self.next_event_within(kind, within).await {
            panic!("unexpected {kind}: {frame}");
        }
    }

    /// Reads until the server closes; returns the close code.
    pub async fn closed_within(&mut self, within: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + within;
        while self.closed_with.is_none() {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                break;
            }
            if self.read(left).await.is_none() && self.closed_with.is_none() {
                break;
            }
        }
        self.closed_with
    }

    /// Whether the server ends the connection (a close frame, or the socket closed) within
    /// `within`, whatever it sends before.
    pub async fn ended_within(&mut self, within: Duration) -> bool {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return false,
                Ok(None | Some(Err(_) | Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

/// The parts of a problem+json body tests look at.
#[derive(Debug)]
pub struct ProblemBody {
    pub code: String,
    pub fields: Vec<String>,
}

pub trait ResponseExt {
    /// Checks the content type and shape of an error response and returns its parts.
    async fn problem(self) -> ProblemBody;
}

impl ResponseExt for Response {
    async fn problem(self) -> ProblemBody {
        let status = self.status().as_u16();
        let content_type = self
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(content_type, "application/problem+json", "status {status}");
        let body: Value = self.json().await.expect("problem body is JSON");
        assert_eq!(body["status"], status);
        assert!(
            body["title"].is_string() && body["detail"].is_string() && body["type"].is_string(),
            "{body}"
        );
        let fields = body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        ProblemBody {
            code: body["code"].as_str().expect("code").to_owned(),
            fields,
        }
    }
}

/// Generous: CI machines are busy, and a passing run never waits this long.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// Polls `check` until it answers `Some`, or panics after `PATIENCE`.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A Redis of this test's own, to stop and start.
pub struct PrivateRedis {
    child: std::process::Child,
    pub port: u16,
}

impl PrivateRedis {
    /// Starts on a free port.
    pub async fn start() -> PrivateRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Self::start_on(port).await
    }

    pub async fn start_on(port: u16) -> PrivateRedis {
        let child = std::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--port", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server runs");
        let address = format!("127.0.0.1:{port}");
        eventually("Redis answers", || async {
            tokio::net::TcpStream::connect(&address)
                .await
                .ok()
                .map(drop)
        })
        .await;
        PrivateRedis { child, port }
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}
