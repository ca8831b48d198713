//! The server under load: started by the tool in child processes of its own binary, or a running
//! one named by URL (loopback only).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chat_server::config::Settings;
use chat_server::startup::Application;
use chat_server::telemetry;
use clap::ValueEnum;
use sea_orm::{ConnectionTrait, Database};

use crate::Options;

/// First argument that turns this binary into a server process.
pub const SERVE_ARG: &str = "__serve";

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: SQLite, in-process fan-out and presence.
    Sqlite,
    /// PostgreSQL + Redis, as in production.
    Postgres,
}

pub struct Target {
    /// Base HTTP URLs, one per instance.
    pub urls: Vec<String>,
    /// Server processes whose memory and CPU are reported.
    pub pids: Vec<u32>,
    /// Where `history` writes its seed rows directly.
    pub seed_database_url: Option<String>,
    children: Vec<Child>,
    server_cpus: Option<crate::cpus::Cpus>,
    data_dir: Option<PathBuf>,
    database: Option<(String, String)>,
    /// The started instances' environment, to start one again.
    env: Vec<(String, String)>,
    /// A Redis of the run's own (`faults` on PostgreSQL stops and starts it).
    redis: Option<PrivateRedis>,
}

/// A `redis-server` the tool runs on a port of its own.
pub struct PrivateRedis {
    port: u16,
    child: Option<Child>,
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

impl PrivateRedis {
    fn start(port: u16) -> anyhow::Result<Self> {
        let mut redis = Self { port, child: None };
        redis.resume()?;
        Ok(redis)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it: every connection to it breaks at once.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty, and waits until it answers.
    pub fn resume(&mut self) -> anyhow::Result<()> {
        let port = self.port.to_string();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .context("starting redis-server (Debian's redis-server package)")?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if Instant::now() > deadline {
                bail!("redis-server did not listen on {port} within 30 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }
}

impl Target {
    pub async fn prepare(options: &Options) -> anyhow::Result<Self> {
        if !options.url.is_empty() {
            for url in &options.url {
                ensure_loopback(url)?;
            }
            return Ok(Self {
                urls: options
                    .url
                    .iter()
                    .map(|url| url.trim_end_matches('/').to_owned())
                    .collect(),
                pids: options.server_pid.clone(),
                seed_database_url: options.seed_database_url.clone(),
                children: Vec::new(),
                server_cpus: None,
                data_dir: None,
                database: None,
                env: Vec::new(),
                redis: None,
            });
        }
        if options.backend == Backend::Sqlite && options.instances != 1 {
            bail!("several instances need --backend postgres (they share its database)");
        }
        let run = uuid::Uuid::now_v7().simple().to_string();
        let data_dir = std::env::temp_dir().join(format!("chat-bench-{run}"));
        std::fs::create_dir_all(&data_dir)?;
        let mut target = Self {
            urls: Vec::new(),
            pids: Vec::new(),
            seed_database_url: None,
            children: Vec::new(),
            server_cpus: options.server_cpus.clone(),
            data_dir: Some(data_dir.clone()),
            database: None,
            env: Vec::new(),
            redis: None,
        };
        let mut env = base_env(&data_dir);
        match options.backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}?mode=rwc", data_dir.join("chat.db").display());
                target.seed_database_url = Some(url);
            }
            Backend::Postgres => {
                let name = format!("chat_bench_{run}");
                let admin = Database::connect(&options.postgres_url)
                    .await
                    .context("connecting to PostgreSQL")?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await?;
                admin.close().await?;
                target.database = Some((options.postgres_url.clone(), name.clone()));
                let url = replace_database(&options.postgres_url, &name);
                target.seed_database_url = Some(url.clone());
                env.push(("DATABASE_URL".into(), url));
                let redis_url = if options.scenario == crate::Scenario::Faults {
                    let redis = PrivateRedis::start(free_port()?)?;
                    let url = redis.url();
                    target.redis = Some(redis);
                    url
                } else {
                    options.redis_url.clone()
                };
                env.push(("REDIS_URL".into(), redis_url));
                env.push(("CHAT__REDIS__KEY_PREFIX".into(), format!("bench{run}:")));
                env.push((
                    "CHAT__AUTH__JWT_SECRET".into(),
                    format!("{run}{run}{}", uuid::Uuid::now_v7().simple()),
                ));
            }
        }
        if options.scenario == crate::Scenario::Faults {
            // One user sends thousands of messages a minute; the other scenarios keep the limit.
            env.push((
                "CHAT__RATE_LIMIT__MESSAGES_PER_USER__MAX".into(),
                "0".into(),
            ));
        }
        target.env = env;
        // The first instance migrates the database; the others start once it is ready.
        for _ in 0..options.instances {
            if let Err(error) = target.start_instance().await {
                target.shutdown().await;
                return Err(error);
            }
        }
        Ok(target)
    }

    /// Whether the tool started the servers itself (and so can stop and restart them).
    pub fn started(&self) -> bool {
        !self.children.is_empty()
    }

    /// The run's own Redis, when it has one.
    pub fn redis(&mut self) -> Option<&mut PrivateRedis> {
        self.redis.as_mut()
    }

    /// Sends `signal` to instance `index` and waits (up to 60 s) for it to exit.
    pub async fn stop_instance(&mut self, index: usize, signal: i32) -> anyhow::Result<()> {
        let child = self.children.get_mut(index).context("no such instance")?;
        let pid = i32::try_from(child.id())?;
        // SAFETY: signalling a child process of ours that has not been reaped yet.
        unsafe { libc::kill(pid, signal) };
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                bail!("instance {index} did not exit within 60 s of signal {signal}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// Starts instance `index` again on the same data, at a new address.
    pub async fn restart_instance(&mut self, index: usize) -> anyhow::Result<()> {
        self.start_instance().await?;
        let (url, pid, child) = (
            self.urls.pop().context("started")?,
            self.pids.pop().context("started")?,
            self.children.pop().context("started")?,
        );
        self.urls[index] = url;
        self.pids[index] = pid;
        self.children[index] = child;
        Ok(())
    }

    async fn start_instance(&mut self) -> anyhow::Result<()> {
        let env = self.env.clone();
        let port = free_port()?;
        let mut command = Command::new(std::env::current_exe()?);
        if let Some(cpus) = self.server_cpus.clone() {
            use std::os::unix::process::CommandExt;
            // SAFETY: between fork and exec the closure only makes one system call.
            unsafe { command.pre_exec(move || crate::cpus::pin(&cpus.0)) };
        }
        let child = command
            .arg(SERVE_ARG)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .context("starting the server")?;
        self.pids.push(child.id());
        self.children.push(child);
        let url = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Some(child) = self.children.last_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!("the server exited while starting: {status}");
            }
            let ready = client.get(format!("{url}/health/ready")).send().await;
            if ready.is_ok_and(|response| response.status().is_success()) {
                break;
            }
            if started.elapsed() > Duration::from_secs(120) {
                bail!("the server did not become ready within 120 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.urls.push(url);
        Ok(())
    }

    /// Stops started servers (SIGTERM, then SIGKILL after 15 s) and removes what they used.
    pub async fn shutdown(mut self) {
        for child in &mut self.children {
            if let Ok(pid) = i32::try_from(child.id()) {
                // SAFETY: signalling a child process of ours that has not been reaped yet.
                unsafe { libc::kill(pid, libc::SIGTERM) };
            }
        }
        for child in &mut self.children {
            let deadline = Instant::now() + Duration::from_secs(15);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        if let Some(redis) = &mut self.redis {
            redis.stop();
        }
        if let Some(dir) = self.data_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin_url, name)) = self.database.take()
            && let Ok(admin) = Database::connect(&admin_url).await
        {
            let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            if let Err(error) = admin.execute_unprepared(&drop).await {
                eprintln!("warning: could not drop {name}: {error}");
            }
            let _ = admin.close().await;
        }
    }
}

/// Settings of a benchmarked server: quiet, on loopback, with the limits that would throttle the
/// load generator's single address (login, register, per-connection commands) lifted.
fn base_env(data_dir: &std::path::Path) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("RUST_LOG", "warn"),
        ("CHAT__SERVER__HOST", "127.0.0.1"),
        ("CHAT__REALTIME__COMMANDS_PER_SECOND", "1000000"),
        ("CHAT__REALTIME__COMMAND_BURST", "1000000"),
        ("CHAT__MESSAGES__RETENTION_DAYS", "0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for limit in [
        "LOGIN_PER_ACCOUNT",
        "LOGIN_PER_IP",
        "REGISTER_PER_IP",
        "FORGOT_PER_IP",
        "FORGOT_PER_EMAIL",
        // `chatlist` has one user create a thousand conversations.
        "CONVERSATIONS_PER_USER",
    ] {
        env.push((format!("CHAT__RATE_LIMIT__{limit}__MAX"), "0".to_owned()));
    }
    // The load generator holds tens of thousands of sockets from a few addresses and users.
    for (key, value) in [
        ("CHAT__REALTIME__MAX_CONNECTIONS_PER_USER", "0"),
        ("CHAT__REALTIME__MAX_CONNECTIONS", "0"),
        ("CHAT__REALTIME__UPGRADES_PER_IP__MAX", "0"),
    ] {
        env.push((key.to_owned(), value.to_owned()));
    }
    env.push((
        "CHAT__APP__DATA_DIR".to_owned(),
        data_dir.display().to_string(),
    ));
    env
}

/// The body of the `__serve` child: the server's own `serve`, ending with the parent.
pub fn serve_in_child() -> i32 {
    // SAFETY: prctl with PR_SET_PDEATHSIG only sets a signal for this process.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("server: {error}");
            return 1;
        }
    };
    let result = runtime.block_on(async {
        let settings = Settings::load()?;
        telemetry::init(settings.is_production(), "warn", None);
        Application::build(settings)
            .await?
            .run_until_stopped()
            .await?;
        anyhow::Ok(())
    });
    match result {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("server: {error:#}");
            1
        }
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    if query.is_empty() {
        format!("{server}/{name}")
    } else {
        format!("{server}/{name}?{query}")
    }
}

/// The tool generates load only against this machine.
fn ensure_loopback(url: &str) -> anyhow::Result<()> {
    let rest = url
        .strip_prefix("http://")
        .context("a target URL starts with http://")?;
    let authority = rest.split('/').next().unwrap_or_default();
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        bail!("{url}: only loopback targets (127.0.0.0/8, ::1, localhost) are allowed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets_pass() {
        assert!(ensure_loopback("http://127.0.0.1:8080").is_ok());
        assert!(ensure_loopback("http://127.3.2.1:80/").is_ok());
        assert!(ensure_loopback("http://localhost:8080").is_ok());
        assert!(ensure_loopback("http://[::1]:8080").is_ok());
        assert!(ensure_loopback("http://10.0.0.1:8080").is_err());
        assert!(ensure_loopback("http://example.com").is_err());
        assert!(ensure_loopback("https://127.0.0.1").is_err());
    }

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            replace_database("postgres://postgres@127.0.0.1:5432/postgres", "b"),
            "postgres://postgres@127.0.0.1:5432/b"
        );
        assert_eq!(
            replace_database("postgres://h/x?sslmode=disable", "b"),
            "postgres://h/b?sslmode=disable"
        );
    }
}
