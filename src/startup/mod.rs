//! The one place that names concrete adapters and wires them into handlers and the server:
//! the server's life here, the application state in `state.rs`, the adapters picked from the
//! settings in `adapters.rs`, the realtime wing in `realtime.rs`.

mod adapters;
mod realtime;
mod server;
mod state;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tokio::sync::watch;

use crate::config::{Settings, SqliteSync};
use crate::infrastructure::persistence::db;
use crate::presentation::http::{self, HttpOptions};
use adapters::connect_redis;
use state::build_state;

/// A built server, bound to its port, not yet running.
pub struct Application {
    port: u16,
    server: Server,
    shutdown: watch::Sender<bool>,
    /// `/metrics` on its own address, when configured.
    metrics: Option<(u16, Server)>,
    /// Shared event consumers, which give their leases up on shutdown.
    consumers: Vec<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Connects to everything, runs migrations and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        settings.validate()?;
        // Installed first: series handles made before it would record nowhere.
        let metrics_handle = http::metrics::recorder();
        let full_sync = settings.database.sqlite_synchronous == SqliteSync::Full;
        let db = db::connect_for_serving(
            &settings.database_url(),
            settings.database.max_connections,
            full_sync,
        )
        .await?;
        db::migrate_up(db.writer()).await?;
        tokio::spawn(db.clone().report_pools(Duration::from_secs(5)));
        let redis = match settings.redis_url() {
            Some(url) => Some(connect_redis(url).await?),
            None => None,
        };
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (state, consumers) = build_state(&settings, db, redis, shutdown_rx)?;
        let state = web::Data::new(state);

        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .with_context(|| {
                format!(
                    "cannot listen on {}:{}",
                    settings.server.host, settings.server.port
                )
            })?;
        let port = listener.local_addr()?.port();
        let endpoint = web::Data::new(http::metrics::MetricsEndpoint {
            handle: metrics_handle,
            token: settings.metrics.token.clone(),
        });
        let metrics = match settings.metrics.listen.as_str() {
            "" => None,
            address => Some(metrics_server(address, endpoint.clone())?),
        };
        let options = HttpOptions {
            json_limit_bytes: settings.server.json_limit_bytes,
            cors_allowed_origins: settings.server.cors_allowed_origins.clone(),
            metrics: metrics.is_none().then_some(endpoint),
            graphql: settings.graphql.clone(),
        };
        let headers = settings.server.headers.clone();
        let json_limit = settings.server.json_limit_bytes;
        let workers = match settings.server.workers {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        };
        let server = server::serve(
            listener,
            workers,
            settings.server.shutdown_timeout_secs,
            move || {
                App::new()
                    .wrap(http::error_safety_net())
                    .wrap(http::security_headers(&headers))
                    .wrap(http::cors(&options.cors_allowed_origins))
                    .wrap(actix_web::middleware::from_fn(move |req, next| {
                        crate::presentation::nul::refuse_nul(json_limit, req, next)
                    }))
                    .wrap(actix_web::middleware::from_fn(http::metrics::track))
                    .wrap(actix_web::middleware::from_fn(http::echo_request_id))
                    .wrap(tracing_actix_web::TracingLogger::<
                        crate::telemetry::RequestSpan,
                    >::new())
                    .configure(http::configure(state.clone(), &options))
            },
        )?;
        tracing::info!(port, production = settings.is_production(), "listening");
        Ok(Self {
            port,
            server,
            shutdown,
            metrics,
            consumers,
        })
    }

    /// The port `/metrics` listens on, when it has its own.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server from elsewhere (tests, embedding).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGINT or SIGTERM, then closes WebSockets with "going away", stops
    /// accepting and drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let shutdown = self.shutdown;
        let metrics = self.metrics.map(|(_, server)| {
            let handle = server.handle();
            tokio::spawn(server);
            handle
        });
        let mut server = std::pin::pin!(self.server);
        let result = tokio::select! {
            result = &mut server => result,
            () = stop_signal() => {
                tracing::info!("shutting down");
                let _ = shutdown.send(true);
                // The server future processes the stop command, so it must be polled meanwhile.
                let (_, result) = tokio::join!(handle.stop(true), server);
                for consumer in self.consumers {
                    // A lease not given up in time lapses by itself; the wait is only to hand
                    // over fast.
                    let _ = tokio::time::timeout(Duration::from_secs(5), consumer).await;
                }
                result
            }
        };
        if let Some(metrics) = metrics {
            metrics.stop(false).await;
        }
        result
    }
}

/// A server of its own for `/metrics`, e.g. on an address only the monitoring network reaches.
fn metrics_server(
    address: &str,
    endpoint: web::Data<http::metrics::MetricsEndpoint>,
) -> anyhow::Result<(u16, Server)> {
    let listener = TcpListener::bind(address)
        .with_context(|| format!("cannot listen on {address} (metrics.listen)"))?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(endpoint.clone())
            .service(http::metrics::render)
    })
    .listen(listener)?
    .workers(1)
    .disable_signals()
    .run();
    Ok((port, server))
}

async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
