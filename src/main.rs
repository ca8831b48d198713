//! Command line: `serve` (the default) and `migrate up|down|status`.

use anyhow::Context;
use chat_server::config::Settings;
use chat_server::infrastructure::persistence::db;
use chat_server::startup::Application;
use chat_server::telemetry;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "chat-server", version, about = "Real-time chat backend")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Manage the database schema.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
}

#[derive(Subcommand)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the latest migrations.
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

#[tokio::main]
async fn main() {
    if let Err(error) = run().await {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load()?;
    let otlp = &settings.telemetry;
    let traces = match otlp.otlp_endpoint.as_str() {
        "" => None,
        endpoint => {
            let instance =
                std::env::var("HOSTNAME").unwrap_or_else(|_| uuid::Uuid::now_v7().to_string());
            Some(telemetry::otel::Traces::start(
                endpoint,
                &otlp.service_name,
                &instance,
            )?)
        }
    };
    telemetry::init(
        settings.is_production(),
        "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn",
        traces.as_ref(),
    );
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let served = Application::build(settings)
                .await?
                .run_until_stopped()
                .await
                .context("server failed");
            if let Some(traces) = traces {
                traces.shutdown();
            }
            served
        }
        Command::Migrate { action } => {
            let db = db::connect(&settings.database_url(), 1, true).await?;
            match action {
                MigrateAction::Up => db::migrate_up(&db).await?,
                MigrateAction::Down { steps } => db::migrate_down(&db, steps).await?,
                MigrateAction::Status => {
                    for (name, applied) in db::migration_status(&db).await? {
                        println!("{} {name}", if applied { "applied" } else { "pending" });
                    }
                }
            }
            Ok(())
        }
    }
}
