//! The adapters the settings choose between: Redis or in-process, mail transports, push,
//! scanning, and the keys and limits of authentication.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::ExposeSecret;

use crate::application::attachments::Scanning;
use crate::application::auth::AuthPolicy;
use crate::application::limits::CountedLimiter;
use crate::application::notifications::PushSender;
use crate::application::ports::{Mailer, ProfileCache, RateLimiter};
use crate::config::{MailTransport, Settings};
use crate::domain::auth::SessionPolicy;
use crate::infrastructure::antivirus::Clamd;
use crate::infrastructure::cache::in_process::MokaProfileCache;
use crate::infrastructure::cache::redis::RedisProfileCache;
use crate::infrastructure::mail::{FileMailer, LogMailer, SmtpMailer};
use crate::infrastructure::persistence::db;
use crate::infrastructure::push::webhook::WebhookPush;
use crate::infrastructure::rate_limit::in_process::InProcessRateLimiter;
use crate::infrastructure::rate_limit::redis::RedisRateLimiter;
use crate::infrastructure::security::argon2::Argon2Hasher;
use crate::infrastructure::security::jwt::JwtAccessTokens;

/// A Redis client whose connections send at once (no Nagle delay on small commands) and probe
/// an idle peer, so a Redis that vanished without a word is noticed within about a minute
/// instead of when the kernel gives up.
pub(super) fn redis_client(url: &str) -> anyhow::Result<redis::Client> {
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

pub(super) async fn connect_redis(url: &str) -> anyhow::Result<ConnectionManager> {
    let client = redis_client(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(5)))
        .set_response_timeout(Some(Duration::from_secs(2)));
    ConnectionManager::new_with_config(client, config)
        .await
        .with_context(|| format!("cannot reach Redis at {}", db::redact(url)))
}

/// The webhook push adapter when a URL is configured.
pub(super) fn push_sender(settings: &Settings) -> anyhow::Result<Option<Arc<dyn PushSender>>> {
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

/// clamd when an address is set; otherwise uploads are kept unscanned, as before.
pub(super) fn scanning(settings: &crate::config::AttachmentSettings) -> Scanning {
    if settings.clamav_addr.is_empty() {
        return Scanning::off();
    }
    let timeout = Duration::from_millis(settings.clamav_timeout_ms.max(1));
    Scanning {
        scanner: Some(Arc::new(Clamd::new(&settings.clamav_addr, timeout))),
        when_down: settings.clamav_when_down,
    }
}

/// Argon2 on the blocking pool, one hash per core unless configured.
pub(super) fn password_hasher(settings: &Settings) -> anyhow::Result<Argon2Hasher> {
    let auth = &settings.auth;
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let concurrency = match auth.hash_concurrency {
        0 => cores,
        configured => configured,
    };
    Argon2Hasher::new(concurrency, auth.hash_queue)
}

/// Access tokens signed with the current key and still accepted under the previous ones.
pub(super) fn access_tokens(settings: &Settings) -> anyhow::Result<JwtAccessTokens> {
    let auth = &settings.auth;
    let previous: Vec<Vec<u8>> = auth
        .jwt_previous_secrets
        .iter()
        .map(|s| s.expose_secret().as_bytes().to_vec())
        .collect();
    Ok(JwtAccessTokens::rotating(
        &settings.jwt_secret()?,
        &previous,
        time::Duration::seconds(i64::try_from(auth.access_token_ttl_secs).unwrap_or(900)),
    ))
}

/// Shared through Redis when there is one, so limits hold across instances; counted either way.
pub(super) fn rate_limiter(
    settings: &Settings,
    redis: &Option<ConnectionManager>,
) -> Arc<dyn RateLimiter> {
    let limiter: Arc<dyn RateLimiter> = match redis {
        Some(redis) => Arc::new(RedisRateLimiter::new(
            redis.clone(),
            &settings.redis.key_prefix,
            settings.rate_limit.when_redis_down,
        )),
        None => Arc::new(InProcessRateLimiter::default()),
    };
    Arc::new(CountedLimiter(limiter))
}

pub(super) fn mailer(settings: &Settings) -> anyhow::Result<Arc<dyn Mailer>> {
    Ok(match settings.mail.transport {
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
    })
}

pub(super) fn auth_policy(settings: &Settings) -> AuthPolicy {
    let (auth, limits) = (&settings.auth, &settings.rate_limit);
    AuthPolicy {
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
    }
}

/// Profiles cached in Redis when there is one, so every instance drops a changed one at once.
pub(super) fn profile_cache(
    settings: &Settings,
    redis: &Option<ConnectionManager>,
) -> Arc<dyn ProfileCache> {
    let profile_ttl = Duration::from_secs(300);
    match redis {
        Some(redis) => Arc::new(RedisProfileCache::new(
            redis.clone(),
            &settings.redis.key_prefix,
            profile_ttl,
        )),
        None => Arc::new(MokaProfileCache::new(100_000, profile_ttl)),
    }
}
