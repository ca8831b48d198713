//! `chat-bench`: the load generator of SPEC §6. It starts a server of its own (SQLite, or
//! PostgreSQL + Redis) or targets a running one on a loopback address, seeds what a scenario
//! needs, drives real HTTP and WebSocket clients and prints a table and JSON.

mod api;
mod cpus;
mod report;
mod scenarios;
mod seed;
mod server;
mod stats;

use std::time::Duration;

use clap::{Parser, ValueEnum};
use report::Report;
use server::{Backend, Target};

#[derive(Parser, Debug, Clone)]
#[command(
    name = "chat-bench",
    about = "Load generator for chat-server (SPEC §6)"
)]
pub struct Options {
    /// What to run; `all` runs every scenario in turn, each against a fresh server.
    pub scenario: Scenario,
    /// Database of the server the tool starts itself.
    #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
    pub backend: Backend,
    /// Server instances to start (PostgreSQL + Redis only); clients spread over them.
    #[arg(long, default_value_t = 1)]
    pub instances: usize,
    /// Target a running server instead (loopback only); repeat for several instances.
    #[arg(long)]
    pub url: Vec<String>,
    /// Process id of the targeted server, to report its memory and CPU.
    #[arg(long)]
    pub server_pid: Vec<u32>,
    /// The targeted server's database, for the fast seeding path of `history`.
    #[arg(long)]
    pub seed_database_url: Option<String>,
    /// PostgreSQL server where `--backend postgres` creates (and then drops) its database.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub postgres_url: String,
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,
    /// A few seconds and small counts: checks that nothing fails or goes missing.
    #[arg(long)]
    pub smoke: bool,
    /// Measured phase of `send` and `fanout`, and how long `connections` are held, in seconds.
    #[arg(long)]
    pub duration: Option<f64>,
    /// `send`: concurrent WebSocket clients, each in a conversation of its own.
    #[arg(long)]
    pub clients: Option<usize>,
    /// `send`: unacknowledged messages each client keeps in flight.
    #[arg(long, default_value_t = 1)]
    pub window: usize,
    /// `fanout`: members of the group, all connected.
    #[arg(long)]
    pub members: Option<usize>,
    /// `fanout`: messages sent per second; `history` and `chatlist`: pages per second.
    #[arg(long)]
    pub rate: Option<u32>,
    /// `connections`: idle authenticated WebSockets to open.
    #[arg(long)]
    pub connections: Option<usize>,
    /// `history`: messages in the conversation read.
    #[arg(long)]
    pub messages: Option<u64>,
    /// `chatlist`: conversations the reading user is in.
    #[arg(long)]
    pub conversations: Option<usize>,
    /// `history` and `chatlist`: requests measured.
    #[arg(long)]
    pub requests: Option<usize>,
    /// `business`: customers who open a case at once.
    #[arg(long)]
    pub customers: Option<usize>,
    /// `business`: agents taking them (with room for all together).
    #[arg(long)]
    pub agents: Option<usize>,
    /// `history` and `chatlist`: clients reading at once (with `--rate`, pages per second over
    /// all of them; without it, each asks again as soon as it is answered).
    #[arg(long)]
    pub readers: Option<usize>,
    /// CPUs the started servers run on (e.g. `0`); with `--client-cpus`, keeps them apart from
    /// the load generator so that the figures measure the server.
    #[arg(long, value_parser = cpus::parse)]
    pub server_cpus: Option<cpus::Cpus>,
    /// CPUs the load generator runs on (e.g. `1`).
    #[arg(long, value_parser = cpus::parse)]
    pub client_cpus: Option<cpus::Cpus>,
    /// Also write the JSON report to this file.
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Send,
    Fanout,
    Connections,
    History,
    Chatlist,
    /// A thousand customers at once for twenty agents: routing, each case assigned once.
    Business,
    /// `kill -9`, then SIGTERM, in the middle of a burst of sends.
    Faults,
    All,
}

impl Scenario {
    const EACH: [Scenario; 7] = [
        Scenario::Send,
        Scenario::Fanout,
        Scenario::Connections,
        Scenario::History,
        Scenario::Chatlist,
        Scenario::Business,
        Scenario::Faults,
    ];

    fn name(self) -> &'static str {
        match self {
            Scenario::Send => "send",
            Scenario::Fanout => "fanout",
            Scenario::Connections => "connections",
            Scenario::History => "history",
            Scenario::Chatlist => "chatlist",
            Scenario::Business => "business",
            Scenario::Faults => "faults",
            Scenario::All => "all",
        }
    }
}

impl Options {
    /// The full-size value, or the smoke one with `--smoke`; an explicit option wins.
    pub fn pick<T: Copy>(&self, explicit: Option<T>, full: T, smoke: T) -> T {
        explicit.unwrap_or(if self.smoke { smoke } else { full })
    }

    pub fn duration(&self, full: f64) -> Duration {
        Duration::from_secs_f64(self.pick(self.duration, full, 2.0))
    }
}

fn main() {
    // The child process a started server runs in: the same binary, so one build is enough.
    if std::env::args().nth(1).as_deref() == Some(server::SERVE_ARG) {
        std::process::exit(server::serve_in_child());
    }
    let options = Options::parse();
    if let Some(cpus) = &options.client_cpus
        && let Err(error) = cpus::pin(&cpus.0)
    {
        eprintln!("error: pinning the load generator: {error}");
        std::process::exit(1);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(1);
        }
    };
    match runtime.block_on(run(options)) {
        Ok(true) => {}
        Ok(false) => {
            eprintln!("FAILED: errors or lost messages (see the table)");
            std::process::exit(2);
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::exit(1);
        }
    }
}

/// Runs the scenarios; `Ok(false)` when one saw errors or lost messages.
async fn run(options: Options) -> anyhow::Result<bool> {
    stats::raise_fd_limit();
    let scenarios: Vec<Scenario> = if options.scenario == Scenario::All {
        Scenario::EACH.to_vec()
    } else {
        vec![options.scenario]
    };
    let mut reports = Vec::new();
    for scenario in scenarios {
        eprintln!("--- {} ({})", scenario.name(), options.backend_label());
        let mut target = Target::prepare(&options).await?;
        let outcome = scenarios::run(scenario, &options, &mut target).await;
        target.shutdown().await;
        let mut report = outcome?;
        report.notes.push(options.placement());
        report.print_table();
        reports.push(report);
    }
    let json = serde_json::to_string_pretty(&reports)?;
    println!("{json}");
    if let Some(path) = &options.json {
        std::fs::write(path, &json)?;
    }
    Ok(reports.iter().all(Report::passed))
}

impl Options {
    /// Where the server and the load generator ran, for the report.
    fn placement(&self) -> String {
        let client = cpus::current();
        match (&self.server_cpus, self.url.is_empty()) {
            (Some(server), true) => {
                let server = &server.0;
                format!("server pinned to CPUs {server:?}, load generator to CPUs {client:?}")
            }
            _ => format!("server and load generator unpinned (load generator on CPUs {client:?})"),
        }
    }

    pub fn backend_label(&self) -> String {
        if !self.url.is_empty() {
            return format!("external, {} instance(s)", self.url.len());
        }
        match self.backend {
            Backend::Sqlite => "sqlite".to_owned(),
            Backend::Postgres => format!("postgres+redis, {} instance(s)", self.instances),
        }
    }
}
