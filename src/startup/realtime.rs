//! The realtime wing: hub, fan-out (Redis or in-process), dispatcher, typing and presence.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;
use tokio::sync::watch;

use super::adapters::redis_client;
use crate::application::events::{self, EventLog, LogOptions};
use crate::application::ports::RateLimiter;
use crate::application::realtime::{
    Admission, AdmissionLimits, CatchUp, Dispatcher, FanOut, Hub, PresenceStore, PresenceTracker,
    Typing,
};
use crate::application::users::Relationships;
use crate::config::Settings;
use crate::infrastructure::clock::SystemClock;
use crate::infrastructure::persistence::conversations::SeaOrmConversationRepository;
use crate::infrastructure::persistence::messages::SeaOrmMessageRepository;
use crate::infrastructure::persistence::outbox::OutboxSignal;
use crate::infrastructure::persistence::users::SeaOrmBlockRepository;
use crate::infrastructure::realtime::in_process::{InProcessFanOut, InProcessPresenceStore};
use crate::infrastructure::realtime::redis::{RedisFanOut, RedisPresenceStore, relay_wakeups};
use crate::presentation::ws::gateway::{Realtime, WsOptions};

#[allow(clippy::too_many_arguments)]
pub(super) fn build_realtime(
    settings: &Settings,
    catch_up: CatchUp,
    redis: &Option<ConnectionManager>,
    conversations: Arc<SeaOrmConversationRepository>,
    messages: Arc<SeaOrmMessageRepository>,
    blocks: Arc<SeaOrmBlockRepository>,
    relationships: Relationships,
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
        None,
    ));
    let typing = Typing::new(
        Duration::from_secs(options.typing_ttl_secs.max(1)),
        dispatcher.clone(),
    );
    tokio::spawn(typing.clone().expire_every(Duration::from_millis(250)));
    let presence = PresenceTracker::new(store.clone(), conversations, relationships);
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
