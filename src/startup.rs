//! The one place that names concrete adapters and wires them into handlers and the server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::watch;

use crate::application::attachments::{
    AttachmentsDeps, AttachmentsHandler, Avatars, ImagePool, OrphanCleanup, Scanning,
};
use crate::application::auth::{AuthDeps, AuthHandlers, AuthPolicy};
use crate::application::business::{BusinessDeps, BusinessHandlers};
use crate::application::conversations::{ConversationsDeps, ConversationsHandlers};
use crate::application::events::{self, EventLog, LogOptions};
use crate::application::limits::{CountedLimiter, WriteLimit};
use crate::application::messages::{
    HistoryHandler, MessagesDeps, MessagesHandlers, RecentMessages, RetentionJob,
};
use crate::application::notifications::{
    DigestPolicy, Digests, NotificationsDeps, NotificationsHandlers, NotificationsSubscriber,
    PushSender, Pusher,
};
use crate::application::ports::{Clock, HealthCheck, Mailer, ProfileCache, RateLimiter};
use crate::application::realtime::{
    Admission, AdmissionLimits, CatchUp, Dispatcher, FanOut, Hub, PresenceStore, PresenceTracker,
    Typing,
};
use crate::application::users::{UsersDeps, UsersHandlers};
use crate::config::{LimitSetting, MailTransport, Settings, SqliteSync};
use crate::domain::auth::SessionPolicy;
use crate::infrastructure::antivirus::Clamd;
use crate::infrastructure::cache::in_process::MokaProfileCache;
use crate::infrastructure::cache::redis::RedisProfileCache;
use crate::infrastructure::clock::{FileClock, SystemClock};
use crate::infrastructure::health::{DatabaseHealth, RedisHealth};
use crate::infrastructure::mail::{FileMailer, LogMailer, SmtpMailer};
use crate::infrastructure::media::ImageMediaTools;
use crate::infrastructure::persistence::activity::SeaOrmActivityRepository;
use crate::infrastructure::persistence::attachments::SeaOrmAttachmentRepository;
use crate::infrastructure::persistence::auth::{
    SeaOrmAccountRepository, SeaOrmPasswordResetRepository, SeaOrmSessionRepository,
};
use crate::infrastructure::persistence::business::SeaOrmBusinessRepository;
use crate::infrastructure::persistence::conversations::SeaOrmConversationRepository;
use crate::infrastructure::persistence::db::{self, Db};
use crate::infrastructure::persistence::digests::SeaOrmDigestRepository;
use crate::infrastructure::persistence::messages::SeaOrmMessageRepository;
use crate::infrastructure::persistence::notifications::{
    SeaOrmDeviceRepository, SeaOrmNotificationRepository,
};
use crate::infrastructure::persistence::outbox::{OutboxSignal, SeaOrmEventLog};
use crate::infrastructure::persistence::users::{
    SeaOrmBlockRepository, SeaOrmContactRepository, SeaOrmKeyRepository, SeaOrmProfileRepository,
    SeaOrmSettingsRepository,
};
use crate::infrastructure::push::webhook::WebhookPush;
use crate::infrastructure::rate_limit::in_process::InProcessRateLimiter;
use crate::infrastructure::rate_limit::redis::RedisRateLimiter;
use crate::infrastructure::realtime::in_process::{InProcessFanOut, InProcessPresenceStore};
use crate::infrastructure::realtime::redis::{RedisFanOut, RedisPresenceStore, relay_wakeups};
use crate::infrastructure::security::argon2::Argon2Hasher;
use crate::infrastructure::security::jwt::JwtAccessTokens;
use crate::infrastructure::storage::object_store::ObjectFileStore;
use crate::presentation::http::{self, AppState, HttpOptions};
use crate::presentation::ws::gateway::{Realtime, WsOptions};
use secrecy::ExposeSecret;

/// How often received messages' delivered markers are written, all in one transaction.
const DELIVERED_FLUSH_INTERVAL: Duration = Duration::from_millis(250);

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
        let server = HttpServer::new(move || {
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
        })
        .listen(listener)?
        .workers(match settings.server.workers {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        })
        .shutdown_timeout(settings.server.shutdown_timeout_secs)
        .disable_signals()
        .run();
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

/// A Redis client whose connections send at once (no Nagle delay on small commands) and probe
/// an idle peer, so a Redis that vanished without a word is noticed within about a minute
/// instead of when the kernel gives up.
fn redis_client(url: &str) -> anyhow::Result<redis::Client> {
    use redis::IntoConnectionInfo;
    use redis::io::tcp::{TcpSettings, socket2::TcpKeepalive};
    let keepalive = TcpKeepalive::new()
        .with_time(Duration::from_secs(30))
        .with_interval(Duration::from_secs(10));
    let info = url
        .into_connection_info()
        .context("REDIS_URL is not a valid Redis URL")?
        .set_tcp_settings(
            TcpSettings::default()
                .set_nodelay(true)
                .set_keepalive(keepalive),
        );
    Ok(redis::Client::open(info)?)
}

async fn connect_redis(url: &str) -> anyhow::Result<ConnectionManager> {
    let client = redis_client(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(5)))
        .set_response_timeout(Some(Duration::from_secs(2)));
    ConnectionManager::new_with_config(client, config)
        .await
        .with_context(|| format!("cannot reach Redis at {}", db::redact(url)))
}

fn build_state(
    settings: &Settings,
    db: Db,
    redis: Option<ConnectionManager>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<(AppState, Vec<tokio::task::JoinHandle<()>>)> {
    let auth = &settings.auth;
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let hasher = Argon2Hasher::new(
        if auth.hash_concurrency == 0 {
            cores
        } else {
            auth.hash_concurrency
        },
        auth.hash_queue,
    )?;
    let previous: Vec<Vec<u8>> = auth
        .jwt_previous_secrets
        .iter()
        .map(|s| s.expose_secret().as_bytes().to_vec())
        .collect();
    let tokens = JwtAccessTokens::rotating(
        &settings.jwt_secret()?,
        &previous,
        time::Duration::seconds(i64::try_from(auth.access_token_ttl_secs).unwrap_or(900)),
    );
    let limiter: Arc<dyn RateLimiter> = match &redis {
        Some(redis) => Arc::new(RedisRateLimiter::new(
            redis.clone(),
            &settings.redis.key_prefix,
            settings.rate_limit.when_redis_down,
        )),
        None => Arc::new(InProcessRateLimiter::default()),
    };
    let limiter: Arc<dyn RateLimiter> = Arc::new(CountedLimiter(limiter));
    let mailer: Arc<dyn Mailer> = match settings.mail.transport {
        MailTransport::Log => {
            if settings.is_production() {
                tracing::warn!("mail.transport is `log`: password reset mails are only logged");
            }
            Arc::new(LogMailer)
        }
        MailTransport::File => Arc::new(FileMailer::new(settings.mail.file_dir.clone())),
        MailTransport::Smtp => {
            let url = settings
                .mail
                .smtp_url
                .as_ref()
                .context("mail.smtp_url is required for SMTP")?;
            Arc::new(SmtpMailer::new(url.expose_secret(), &settings.mail.from)?)
        }
    };
    let limits = &settings.rate_limit;
    let write_limit =
        |kind, limit: LimitSetting| WriteLimit::new(limiter.clone(), kind, limit.into());
    let graphql_cost = write_limit("graphql", limits.graphql_cost_per_caller);
    let policy = AuthPolicy {
        sessions: SessionPolicy {
            idle_timeout: time::Duration::days(auth.session_idle_days.into()),
            max_lifetime: time::Duration::days(auth.session_max_days.into()),
            max_live_sessions: auth.max_sessions,
        },
        reset_token_ttl: time::Duration::minutes(auth.reset_token_ttl_minutes.into()),
        login_per_account: limits.login_per_account.into(),
        login_per_ip: limits.login_per_ip.into(),
        register_per_ip: limits.register_per_ip.into(),
        forgot_per_ip: limits.forgot_per_ip.into(),
        reset_per_ip: limits.reset_per_ip.into(),
        forgot_per_email: limits.forgot_per_email.into(),
    };
    let clock = Arc::new(SystemClock);
    let accounts = Arc::new(SeaOrmAccountRepository::new(db.clone()));
    let signal = OutboxSignal::new();
    let log: Arc<dyn EventLog> = Arc::new(SeaOrmEventLog::new(db.clone(), signal.clone()));
    let log_options = LogOptions {
        poll: Duration::from_millis(settings.events.poll_interval_ms.max(1)),
        batch: settings.events.batch.max(1),
        lease: Duration::from_secs(settings.events.lease_secs.max(1)),
        retry: Duration::from_millis(200),
    };
    // Names this instance as the holder of shared consumers' leases.
    let instance = uuid::Uuid::now_v7().simple().to_string();
    let profile_ttl = Duration::from_secs(300);
    let cache: Arc<dyn ProfileCache> = match &redis {
        Some(redis) => Arc::new(RedisProfileCache::new(
            redis.clone(),
            &settings.redis.key_prefix,
            profile_ttl,
        )),
        None => Arc::new(MokaProfileCache::new(100_000, profile_ttl)),
    };
    let profiles = Arc::new(SeaOrmProfileRepository::new(db.clone()));
    let attachment_rows = Arc::new(SeaOrmAttachmentRepository::new(db.clone()));
    let avatars = Avatars::new(attachment_rows.clone());
    let contacts = Arc::new(SeaOrmContactRepository::new(db.clone(), signal.clone()));
    let blocks = Arc::new(SeaOrmBlockRepository::new(db.clone()));
    let user_settings = Arc::new(SeaOrmSettingsRepository::new(db.clone()));
    let business_repository = Arc::new(SeaOrmBusinessRepository::new(db.clone(), signal.clone()));
    let users = UsersDeps {
        accounts: accounts.clone(),
        profiles: profiles.clone(),
        settings: user_settings.clone(),
        contacts: contacts.clone(),
        blocks: blocks.clone(),
        keys: Arc::new(SeaOrmKeyRepository::new(db.clone())),
        cache,
        hidden: business_repository.clone(),
        clock: clock.clone(),
        claim_limit: write_limit("prekey-claims", limits.prekey_claims_per_caller),
        avatars: avatars.clone(),
    };
    let users = UsersHandlers::new(users);
    let conversations = Arc::new(SeaOrmConversationRepository::new(
        db.clone(),
        signal.clone(),
    ));
    let messages = Arc::new(SeaOrmMessageRepository::new(db.clone(), signal.clone()));
    let business_clock: Arc<dyn Clock> = match settings.business.clock_file.as_str() {
        "" => clock.clone(),
        path => Arc::new(FileClock::new(path.into())),
    };
    let business = BusinessHandlers::new(Arc::new(BusinessDeps {
        businesses: business_repository,
        profiles: profiles.clone(),
        messages: messages.clone(),
        history: messages.clone(),
        clock: business_clock,
        create_limit: write_limit("business-openings", limits.conversations_per_user),
    }));
    let conversations_deps = Arc::new(ConversationsDeps {
        conversations: conversations.clone(),
        participants: conversations.clone(),
        chat_list: conversations.clone(),
        profiles,
        relationships: users.relationships.clone(),
        clock: clock.clone(),
        max_group_participants: settings.conversations.max_group_participants,
        create_limit: write_limit("conversations", limits.conversations_per_user),
        avatars,
    });
    let recent = Arc::new(RecentMessages::new(
        settings.messages.recent_cache_mb * 1024 * 1024,
    ));
    tokio::spawn(events::run_local(
        "recent_messages",
        log.clone(),
        recent.clone(),
        log_options,
    ));
    let messages_deps = Arc::new(MessagesDeps {
        conversations: conversations.clone(),
        participants: conversations.clone(),
        markers: conversations.clone(),
        messages: messages.clone(),
        history: messages.clone(),
        receipts: messages.clone(),
        search: messages.clone(),
        relationships: users.relationships.clone(),
        clock: clock.clone(),
        send_limit: write_limit("messages", limits.messages_per_user),
        react_limit: write_limit("reactions", limits.reactions_per_user),
        recent: recent.clone(),
    });
    let catch_up = CatchUp::new(
        Arc::new(HistoryHandler::new(messages_deps.clone())),
        clock.clone(),
        settings.messages.retention(),
    );
    let realtime = build_realtime(
        settings,
        catch_up,
        &redis,
        conversations.clone(),
        messages,
        contacts,
        blocks,
        user_settings.clone(),
        &log,
        log_options,
        &signal,
        limiter.clone(),
        shutdown.clone(),
    )?;
    let s3 = &settings.attachments.s3;
    let store = Arc::new(if s3.bucket.is_empty() {
        ObjectFileStore::local(&settings.attachments_dir())?
    } else {
        ObjectFileStore::s3(s3).context("the S3 file store is misconfigured")?
    });
    let attachments_deps = Arc::new(AttachmentsDeps {
        attachments: attachment_rows,
        conversations: conversations.clone(),
        store: store.clone(),
        media: Arc::new(ImageMediaTools),
        clock: clock.clone(),
        max_bytes: settings.attachments.max_bytes,
        upload_limit: write_limit("uploads", limits.uploads_per_user),
        max_image_pixels: settings.attachments.max_image_pixels,
        images: Arc::new(ImagePool::new(
            match settings.attachments.image_workers {
                0 => std::thread::available_parallelism().map_or(2, usize::from),
                n => n,
            },
            settings.attachments.image_queue,
        )),
        scanning: scanning(&settings.attachments),
    });
    let cleanup = OrphanCleanup::new(
        attachments_deps.clone(),
        Duration::from_secs(settings.attachments.orphan_ttl_secs),
    );
    tokio::spawn(cleanup.run_every(Duration::from_secs(
        settings.attachments.cleanup_interval_secs.max(1),
    )));
    let devices = Arc::new(SeaOrmDeviceRepository::new(db.clone()));
    let notifications_deps = Arc::new(NotificationsDeps {
        notifications: Arc::new(SeaOrmNotificationRepository::new(
            db.clone(),
            signal.clone(),
        )),
        devices: devices.clone(),
        participants: conversations,
        settings: user_settings,
        relationships: users.relationships.clone(),
        presence: realtime.presence.store().clone(),
        clock: clock.clone(),
    });
    let mut consumers = vec![tokio::spawn(events::run_shared(
        "notifications",
        instance.clone(),
        log.clone(),
        Arc::new(NotificationsSubscriber::new(notifications_deps.clone())),
        log_options,
        shutdown.clone(),
    ))];
    consumers.push(tokio::spawn(events::run_shared(
        "business",
        instance.clone(),
        log.clone(),
        business.watcher(),
        log_options,
        shutdown.clone(),
    )));
    if let Some(push) = push_sender(settings)? {
        let pusher = Arc::new(Pusher::new(push, devices));
        consumers.push(tokio::spawn(events::run_shared(
            "push",
            instance,
            log.clone(),
            pusher,
            log_options,
            shutdown.clone(),
        )));
    }
    let business_tick = Duration::from_millis(settings.business.tick_ms.max(10));
    tokio::spawn(business.ticker().run_every(business_tick));
    tokio::spawn(events::prune_every(
        log,
        Duration::from_secs(settings.events.retention_secs),
        Duration::from_secs(settings.events.prune_interval_secs.max(1)),
    ));
    if let Some(retention) = settings.messages.retention() {
        let job = RetentionJob::new(messages_deps.clone(), retention);
        let interval = Duration::from_secs(settings.messages.retention_interval_secs.max(1));
        tokio::spawn(job.run_every(interval));
    }
    let notify = &settings.notifications;
    let digests = Digests {
        digests: Arc::new(SeaOrmDigestRepository::new(db.clone())),
        accounts: accounts.clone(),
        presence: notifications_deps.presence.clone(),
        mailer: mailer.clone(),
        clock: clock.clone(),
        policy: DigestPolicy {
            away: Duration::from_secs(notify.digest_away_secs),
            period: Duration::from_secs(notify.digest_period_secs),
        },
    };
    tokio::spawn(digests.run_every(Duration::from_millis(notify.digest_interval_ms.max(1))));
    let deps = AuthDeps {
        accounts,
        sessions: Arc::new(SeaOrmSessionRepository::new(db.clone(), signal.clone())),
        resets: Arc::new(SeaOrmPasswordResetRepository::new(db.clone())),
        hasher: Arc::new(hasher),
        tokens: Arc::new(tokens),
        limiter,
        mailer,
        clock: clock.clone(),
        policy,
        activity: Arc::new(SeaOrmActivityRepository::new(
            db.clone(),
            auth.activity_kept,
        )),
    };
    let mut health: Vec<Arc<dyn HealthCheck>> = vec![Arc::new(DatabaseHealth(db.writer().clone()))];
    if let Some(redis) = redis {
        health.push(Arc::new(RedisHealth(redis)));
    }
    if !s3.bucket.is_empty() {
        health.push(store);
    }
    let messages = MessagesHandlers::new(messages_deps);
    tokio::spawn(
        messages
            .delivered
            .clone()
            .run(DELIVERED_FLUSH_INTERVAL, shutdown),
    );
    let state = AppState {
        attachments: AttachmentsHandler::new(attachments_deps),
        auth: AuthHandlers::new(deps),
        business,
        users,
        conversations: ConversationsHandlers::new(conversations_deps),
        messages,
        notifications: NotificationsHandlers::new(notifications_deps),
        realtime,
        clock,
        graphql_cost,
        health,
        trust_forwarded_for: settings.server.trust_forwarded_for,
    };
    Ok((state, consumers))
}

/// The webhook push adapter when a URL is configured.
fn push_sender(settings: &Settings) -> anyhow::Result<Option<Arc<dyn PushSender>>> {
    let options = &settings.notifications;
    if options.push_webhook_url.is_empty() {
        return Ok(None);
    }
    Ok(Some(Arc::new(WebhookPush::new(
        &options.push_webhook_url,
        options.push_max_attempts,
        Duration::from_millis(options.push_initial_backoff_ms),
        Duration::from_millis(options.push_timeout_ms.max(1)),
    )?)))
}

#[allow(clippy::too_many_arguments)]
fn build_realtime(
    settings: &Settings,
    catch_up: CatchUp,
    redis: &Option<ConnectionManager>,
    conversations: Arc<SeaOrmConversationRepository>,
    messages: Arc<SeaOrmMessageRepository>,
    contacts: Arc<SeaOrmContactRepository>,
    blocks: Arc<SeaOrmBlockRepository>,
    user_settings: Arc<SeaOrmSettingsRepository>,
    log: &Arc<dyn EventLog>,
    log_options: LogOptions,
    signal: &OutboxSignal,
    limiter: Arc<dyn RateLimiter>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<Realtime> {
    let options = &settings.realtime;
    let hub = Arc::new(Hub::new(options.queue_capacity.max(1)));
    let idle_timeout = Duration::from_secs(options.idle_timeout_secs.max(1));
    let (fanout, store): (Arc<dyn FanOut>, Arc<dyn PresenceStore>) =
        match (redis, settings.redis_url()) {
            (Some(redis), Some(url)) => {
                let client = redis_client(url)?;
                tokio::spawn(RedisFanOut::subscribe(
                    client,
                    settings.redis.key_prefix.clone(),
                    hub.clone(),
                    signal.clone(),
                ));
                tokio::spawn(relay_wakeups(
                    redis.clone(),
                    settings.redis.key_prefix.clone(),
                    signal.clone(),
                ));
                (
                    Arc::new(RedisFanOut::new(redis.clone(), &settings.redis.key_prefix)),
                    Arc::new(RedisPresenceStore::new(
                        redis.clone(),
                        &settings.redis.key_prefix,
                        idle_timeout,
                    )),
                )
            }
            _ => (
                Arc::new(InProcessFanOut::new(hub.clone())),
                Arc::new(InProcessPresenceStore::default()),
            ),
        };
    let dispatcher = Dispatcher::new(
        conversations.clone(),
        blocks.clone(),
        messages.clone(),
        messages,
        hub.clone(),
        fanout,
        log.clone(),
    );
    tokio::spawn(events::run_local(
        "realtime",
        log.clone(),
        Arc::new(dispatcher.clone()),
        log_options,
    ));
    let typing = Typing::new(
        Duration::from_secs(options.typing_ttl_secs.max(1)),
        dispatcher.clone(),
    );
    tokio::spawn(typing.clone().expire_every(Duration::from_millis(250)));
    let presence = PresenceTracker::new(
        store.clone(),
        conversations,
        contacts,
        blocks,
        user_settings,
    );
    tokio::spawn(presence.clone().watch_instances(
        dispatcher.clone(),
        Arc::new(SystemClock),
        Duration::from_secs(options.instance_heartbeat_secs.max(1)),
        shutdown.clone(),
    ));
    let limits = AdmissionLimits {
        per_user: options.max_connections_per_user,
        per_instance: options.max_connections,
        upgrades_per_ip: options.upgrades_per_ip.into(),
    };
    Ok(Realtime {
        admission: Admission::new(hub.clone(), store.clone(), limiter, limits),
        hub,
        presence,
        typing,
        catch_up,
        dispatcher,
        options: WsOptions {
            auth_timeout: Duration::from_secs(options.auth_timeout_secs.max(1)),
            ping_interval: Duration::from_secs(options.ping_interval_secs.max(1)),
            idle_timeout,
            commands_per_second: options.commands_per_second,
            command_burst: options.command_burst,
            write_timeout: Duration::from_millis(options.write_timeout_ms.max(1)),
            close_grace: Duration::from_secs(options.close_grace_secs),
        },
        shutdown,
    })
}

/// clamd when an address is set; otherwise uploads are kept unscanned, as before.
fn scanning(settings: &crate::config::AttachmentSettings) -> Scanning {
    if settings.clamav_addr.is_empty() {
        return Scanning::off();
    }
    let timeout = Duration::from_millis(settings.clamav_timeout_ms.max(1));
    Scanning {
        scanner: Some(Arc::new(Clamd::new(&settings.clamav_addr, timeout))),
        when_down: settings.clamav_when_down,
    }
}
