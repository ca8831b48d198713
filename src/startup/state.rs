//! The application state: every repository, handler and background consumer, wired once.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use redis::aio::ConnectionManager;
use tokio::sync::watch;

use super::adapters::{
    access_tokens, auth_policy, mailer, password_hasher, profile_cache, push_sender, rate_limiter,
    scanning,
};
use super::realtime::build_realtime;
use crate::application::attachments::{
    AttachmentsHandlers, AttachmentsPorts, Avatars, ImagePool, OrphanCleanup,
};
use crate::application::auth::{AuthHandlers, AuthPorts, LiveSessions};
use crate::application::business::{BusinessHandlers, BusinessPorts};
use crate::application::conversations::chat_order::ChatOrder;
use crate::application::conversations::{ConversationsHandlers, ConversationsPorts};
use crate::application::events::{self, EventLog, LogOptions};
use crate::application::limits::WriteLimit;
use crate::application::messages::{
    MessagesHandlers, MessagesPorts, RecentMessages, RetentionJob, SoleWriter,
};
use crate::application::notifications::{
    DigestPolicy, Digests, NotificationsHandlers, NotificationsPorts, NotificationsSubscriber,
    Pusher,
};
use crate::application::ports::{Clock, HealthCheck};
use crate::application::realtime::CatchUp;
use crate::application::users::{UsersHandlers, UsersPorts};
use crate::config::{LimitSetting, Settings};
use crate::infrastructure::clock::{FileClock, SystemClock};
use crate::infrastructure::health::{DatabaseHealth, RedisHealth};
use crate::infrastructure::media::ImageMediaTools;
use crate::infrastructure::persistence::activity::SeaOrmActivityRepository;
use crate::infrastructure::persistence::attachments::SeaOrmAttachmentRepository;
use crate::infrastructure::persistence::auth::{
    SeaOrmAccountRepository, SeaOrmPasswordResetRepository, SeaOrmSessionRepository,
};
use crate::infrastructure::persistence::business::SeaOrmBusinessRepository;
use crate::infrastructure::persistence::conversations::SeaOrmConversationRepository;
use crate::infrastructure::persistence::db::Db;
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
use crate::infrastructure::storage::object_store::ObjectFileStore;
use crate::presentation::http::AppState;

/// How often received messages' delivered markers are written, all in one transaction.
const DELIVERED_FLUSH_INTERVAL: Duration = Duration::from_millis(250);

pub(super) fn build_state(
    settings: &Settings,
    db: Db,
    redis: Option<ConnectionManager>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<(AppState, Vec<tokio::task::JoinHandle<()>>)> {
    let auth = &settings.auth;
    let hasher = password_hasher(settings)?;
    let tokens = access_tokens(settings)?;
    let limiter = rate_limiter(settings, &redis);
    let mailer = mailer(settings)?;
    let limits = &settings.rate_limit;
    let write_limit =
        |kind, limit: LimitSetting| WriteLimit::new(limiter.clone(), kind, limit.into());
    let graphql_cost = write_limit("graphql", limits.graphql_cost_per_caller);
    let policy = auth_policy(settings);
    let clock = Arc::new(SystemClock);
    let accounts = Arc::new(SeaOrmAccountRepository::new(db.clone()));
    let signal = OutboxSignal::new();
    let log: Arc<dyn EventLog> = Arc::new(SeaOrmEventLog::new(db.clone(), signal.clone()));
    let log_options = LogOptions {
        poll: Duration::from_millis(settings.events.poll_interval_ms.max(1)),
        batch: settings.events.batch.max(1),
        lease: Duration::from_secs(settings.events.lease_secs.max(1)),
        store_every: Duration::from_millis(settings.events.store_position_ms),
        retry: Duration::from_millis(200),
    };
    // Names this instance as the holder of shared consumers' leases.
    let instance = uuid::Uuid::now_v7().simple().to_string();
    let cache = profile_cache(settings, &redis);
    let profiles = Arc::new(SeaOrmProfileRepository::new(db.clone()));
    let attachment_rows = Arc::new(SeaOrmAttachmentRepository::new(db.clone()));
    let avatars = Avatars::new(attachment_rows.clone());
    let contacts = Arc::new(SeaOrmContactRepository::new(db.clone(), signal.clone()));
    let blocks = Arc::new(SeaOrmBlockRepository::new(db.clone()));
    let user_settings = Arc::new(SeaOrmSettingsRepository::new(db.clone()));
    let business_repository = Arc::new(SeaOrmBusinessRepository::new(db.clone(), signal.clone()));
    let users = UsersPorts {
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
    let users = UsersHandlers::new(&users);
    let conversations = Arc::new(SeaOrmConversationRepository::new(
        db.clone(),
        signal.clone(),
    ));
    let messages = Arc::new(SeaOrmMessageRepository::new(db.clone(), signal.clone()));
    let business_clock: Arc<dyn Clock> = match settings.business.clock_file.as_str() {
        "" => clock.clone(),
        path => Arc::new(FileClock::new(path.into())),
    };
    let business = BusinessHandlers::new(&BusinessPorts {
        businesses: business_repository.clone(),
        cases: business_repository.clone(),
        case_queries: business_repository,
        profiles: profiles.clone(),
        messages: messages.clone(),
        history: messages.clone(),
        clock: business_clock,
        create_limit: write_limit("business-openings", limits.conversations_per_user),
    });
    let chat_order = Arc::new(ChatOrder::new(
        usize::try_from(settings.conversations.chat_order_entries).unwrap_or(usize::MAX),
    ));
    let conversations_ports = ConversationsPorts {
        conversations: conversations.clone(),
        participants: conversations.clone(),
        chat_list: conversations.clone(),
        chat_order: chat_order.clone(),
        profiles,
        relationships: users.relationships.clone(),
        clock: clock.clone(),
        max_group_participants: settings.conversations.max_group_participants,
        create_limit: write_limit("conversations", limits.conversations_per_user),
        avatars,
    };
    let horizon = Arc::new(events::Horizon::new(log.as_ref()));
    let sole = db.is_embedded().then(|| SoleWriter {
        horizon: horizon.clone(),
        clock: clock.clone(),
        retention: settings.messages.retention(),
    });
    let recent = Arc::new(RecentMessages::new(
        settings.messages.recent_cache_mb * 1024 * 1024,
        sole,
    ));
    let sessions = Arc::new(LiveSessions::new(
        Arc::new(SeaOrmSessionRepository::new(db.clone(), signal.clone())),
        clock.clone(),
    ));
    tokio::spawn(events::run_local(
        "instance_caches",
        log.clone(),
        Arc::new(events::Each(vec![
            recent.clone(),
            sessions.clone(),
            chat_order,
        ])),
        log_options,
        Some(horizon),
    ));
    let messages_ports = MessagesPorts {
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
    };
    let messages_handlers = MessagesHandlers::new(&messages_ports);
    let catch_up = CatchUp::new(
        conversations.clone(),
        messages_handlers.history.clone(),
        clock.clone(),
        settings.messages.retention(),
    );
    let realtime = build_realtime(
        settings,
        catch_up,
        &redis,
        conversations.clone(),
        messages,
        blocks,
        users.relationships.clone(),
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
    let attachments_ports = AttachmentsPorts {
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
    };
    let cleanup = OrphanCleanup::new(
        &attachments_ports,
        Duration::from_secs(settings.attachments.orphan_ttl_secs),
    );
    tokio::spawn(cleanup.run_every(Duration::from_secs(
        settings.attachments.cleanup_interval_secs.max(1),
    )));
    let devices = Arc::new(SeaOrmDeviceRepository::new(db.clone()));
    let notifications_ports = NotificationsPorts {
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
    };
    let mut consumers = vec![tokio::spawn(events::run_shared(
        "notifications",
        instance.clone(),
        log.clone(),
        Arc::new(NotificationsSubscriber::new(&notifications_ports)),
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
        log.clone(),
        Duration::from_secs(settings.events.retention_secs),
        Duration::from_secs(settings.events.prune_interval_secs.max(1)),
    ));
    if let Some(retention) = settings.messages.retention() {
        let job = RetentionJob::new(&messages_ports, retention);
        let interval = Duration::from_secs(settings.messages.retention_interval_secs.max(1));
        tokio::spawn(job.run_every(interval));
    }
    let notify = &settings.notifications;
    let digests = Digests {
        digests: Arc::new(SeaOrmDigestRepository::new(db.clone())),
        accounts: accounts.clone(),
        presence: notifications_ports.presence.clone(),
        mailer: mailer.clone(),
        clock: clock.clone(),
        policy: DigestPolicy {
            away: Duration::from_secs(notify.digest_away_secs),
            period: Duration::from_secs(notify.digest_period_secs),
        },
    };
    tokio::spawn(digests.run_every(Duration::from_millis(notify.digest_interval_ms.max(1))));
    let auth_ports = AuthPorts {
        accounts,
        sessions,
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
    tokio::spawn(
        messages_handlers
            .delivered
            .clone()
            .run(DELIVERED_FLUSH_INTERVAL, shutdown),
    );
    let state = AppState {
        attachments: AttachmentsHandlers::new(&attachments_ports),
        auth: AuthHandlers::new(&auth_ports),
        business,
        users,
        conversations: ConversationsHandlers::new(&conversations_ports),
        messages: messages_handlers,
        notifications: NotificationsHandlers::new(&notifications_ports),
        realtime,
        clock,
        graphql_cost,
        health,
        trust_forwarded_for: settings.server.trust_forwarded_for,
    };
    Ok((state, consumers))
}
