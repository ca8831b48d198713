//! The server binary as a child process of a test, on a database of its own: for tests that
//! stop it (kill -9, SIGTERM) and start it again on the same data.

use std::process::{Child, Command, Stdio};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

use crate::helpers::{JWT_SECRET, eventually, replace_database};

/// The server binary in a child process, with its data in `dir`.
pub struct ServerProcess {
    pub child: Child,
    pub address: String,
}

impl ServerProcess {
    /// `lease_secs`: how long a stopped process's hold on notifications outlives it, unless
    /// it gave the hold up.
    pub async fn start(
        dir: &std::path::Path,
        database_url: Option<&str>,
        lease_secs: u64,
    ) -> ServerProcess {
        Self::start_with(dir, database_url, lease_secs, &[]).await
    }

    /// `start`, with more environment (settings) for the process.
    pub async fn start_with(
        dir: &std::path::Path,
        database_url: Option<&str>,
        lease_secs: u64,
        env: &[(&str, &str)],
    ) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("server.log"))
            .expect("log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_chat-server"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CHAT__APP__DATA_DIR", dir)
            .env("CHAT__SERVER__HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("CHAT__AUTH__JWT_SECRET", JWT_SECRET)
            .env("CHAT__AUTH__HASH_CONCURRENCY", "2")
            .env("CHAT__RATE_LIMIT__REGISTER_PER_IP__MAX", "0")
            .env("CHAT__RATE_LIMIT__LOGIN_PER_IP__MAX", "0")
            .env("CHAT__EVENTS__LEASE_SECS", lease_secs.to_string())
            .stdout(Stdio::null())
            .stderr(log);
        if let Some(url) = database_url {
            command.env("DATABASE_URL", url);
        }
        command.envs(env.iter().copied());
        let child = command.spawn().expect("server starts");
        let address = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let ready = format!("{address}/health/ready");
        eventually("the server is ready", || async {
            let response = client.get(&ready).send().await.ok()?;
            response.status().is_success().then_some(())
        })
        .await;
        ServerProcess { child, address }
    }

    /// Waits for the signalled process to end.
    pub async fn reap(&mut self) {
        let child = &mut self.child;
        eventually("the server stops", || {
            let stopped = child.try_wait().expect("waitable").is_some();
            async move { stopped.then_some(()) }
        })
        .await;
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A database of its own for a server process: PostgreSQL when `TEST_DATABASE_URL` is set
/// (dropped at the end), else SQLite in the data folder.
pub struct ProcessDatabase {
    admin_url: String,
    name: String,
}

impl ProcessDatabase {
    pub async fn create() -> Option<ProcessDatabase> {
        let admin_url = std::env::var("TEST_DATABASE_URL").ok()?;
        let name = format!("chat_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url).await.expect("admin");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("database created");
        Some(ProcessDatabase { admin_url, name })
    }

    pub fn url(&self) -> String {
        replace_database(&self.admin_url, &self.name)
    }

    pub async fn drop_now(self) {
        let admin = Database::connect(&self.admin_url).await.expect("admin");
        admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await
            .expect("database dropped");
    }
}

/// A connection of the test's own to the database of a process started on `dir`.
pub async fn connect(
    dir: &std::path::Path,
    database: Option<&ProcessDatabase>,
) -> DatabaseConnection {
    let url = match database {
        Some(database) => database.url(),
        None => format!("sqlite://{}?mode=rw", dir.join("chat.db").display()),
    };
    Database::connect(&url)
        .await
        .expect("the process's database")
}
