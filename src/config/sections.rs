//! One typed section per table of `config/default.toml`.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use crate::application::ports::RateLimit;

#[derive(Debug, Clone, Deserialize)]
pub struct TelemetrySettings {
    /// An OTLP/HTTP collector's base URL (`http://collector:4318`); empty exports no traces.
    pub otlp_endpoint: String,
    pub service_name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MetricsSettings {
    /// Empty: `/metrics` on the main port; else only on this `host:port`.
    pub listen: String,
    /// When set, `/metrics` requires `Authorization: Bearer <token>`.
    pub token: Option<SecretString>,
}

/// Response headers for browsers; an empty value sends no header.
#[derive(Debug, Clone, Deserialize)]
pub struct SecurityHeaders {
    pub hsts: String,
    pub frame_options: String,
    pub referrer_policy: String,
    pub content_security_policy: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AttachmentSettings {
    pub max_bytes: u64,
    /// Most pixels an image may declare (width × height); more: 422 `image_too_large`.
    pub max_image_pixels: u64,
    /// Images decoded at once; 0: one per core.
    pub image_workers: usize,
    /// Images that may wait for a worker; past it 503 `busy`.
    pub image_queue: usize,
    /// Empty: `<data_dir>/files`.
    pub dir: String,
    pub orphan_ttl_secs: u64,
    pub cleanup_interval_secs: u64,
    pub s3: S3Settings,
    /// clamd's address (`host:port`, or a Unix socket's path); empty: uploads are not scanned.
    pub clamav_addr: String,
    pub clamav_when_down: crate::application::attachments::WhenScannerDown,
    /// Longest wait for clamd at each step (connect, each chunk, the verdict).
    pub clamav_timeout_ms: u64,
}

/// An S3-compatible bucket for files, used instead of `dir` when `bucket` is set.
#[derive(Debug, Clone, Deserialize)]
pub struct S3Settings {
    pub bucket: String,
    /// Empty: AWS itself; otherwise the store's URL (`http://` is allowed for local stores).
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// Above 0, downloads redirect (307) to a URL signed for this long instead of passing
    /// through the server.
    pub presign_ttl_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NotificationSettings {
    /// Where pushes are POSTed as JSON; empty sends none.
    pub push_webhook_url: String,
    pub push_max_attempts: u32,
    pub push_initial_backoff_ms: u64,
    pub push_timeout_ms: u64,
    /// E-mail digests (opt-in per user): sent after this long away, at most once per period,
    /// looked for every interval.
    pub digest_away_secs: u64,
    pub digest_period_secs: u64,
    pub digest_interval_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RealtimeSettings {
    pub auth_timeout_secs: u64,
    pub ping_interval_secs: u64,
    pub idle_timeout_secs: u64,
    pub queue_capacity: usize,
    pub commands_per_second: u32,
    pub command_burst: u32,
    pub typing_ttl_secs: u64,
    /// How often an instance says it is alive (with Redis); one silent for three beats is
    /// taken for dead and its users announced offline.
    pub instance_heartbeat_secs: u64,
    pub write_timeout_ms: u64,
    pub close_grace_secs: u64,
    /// Live sockets one user may hold across instances; 0: no limit.
    pub max_connections_per_user: u32,
    /// Live sockets on one instance; 0: no limit.
    pub max_connections: usize,
    /// WebSocket upgrades per client IP; `max = 0`: no limit.
    pub upgrades_per_ip: LimitSetting,
}

/// The event log (outbox) and its readers.
#[derive(Debug, Clone, Deserialize)]
pub struct EventSettings {
    pub poll_interval_ms: u64,
    pub batch: u64,
    pub lease_secs: u64,
    pub store_position_ms: u64,
    pub retention_secs: u64,
    pub prune_interval_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConversationSettings {
    pub max_group_participants: u64,
    /// Memberships whose chat list order each instance keeps in memory; 0 sorts every page
    /// in the database.
    pub chat_order_entries: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BusinessSettings {
    /// How often each instance routes open businesses' queues, refreshes queue notices and
    /// escalates unanswered cases.
    pub tick_ms: u64,
    /// When set, the business context's clock reads the time from this file (RFC 3339) and
    /// moves on from there: for tests and demos of business hours.
    pub clock_file: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GraphqlSettings {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub report_statements: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MessageSettings {
    pub retention_days: u64,
    pub retention_secs: u64,
    pub retention_interval_secs: u64,
    /// Memory for the newest messages of active conversations, on each instance; 0 turns the
    /// cache off.
    pub recent_cache_mb: u64,
}

impl MessageSettings {
    /// How long messages are kept; `None` keeps them forever.
    pub fn retention(&self) -> Option<Duration> {
        match (self.retention_secs, self.retention_days) {
            (0, 0) => None,
            (0, days) => Some(Duration::from_secs(days * 86_400)),
            (secs, _) => Some(Duration::from_secs(secs)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AppSettings {
    pub environment: Environment,
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub workers: usize,
    pub json_limit_bytes: usize,
    pub shutdown_timeout_secs: u64,
    pub trust_forwarded_for: bool,
    pub cors_allowed_origins: Vec<String>,
    pub headers: SecurityHeaders,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    /// SQLite only: `full` waits for the disk on every commit; `normal` survives a crash of the
    /// process but may lose the last commits on a power loss.
    pub sqlite_synchronous: SqliteSync,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSync {
    Full,
    Normal,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RedisSettings {
    pub url: String,
    pub key_prefix: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub jwt_secret: Option<SecretString>,
    /// Earlier signing keys, still accepted for tokens they signed (rotation).
    pub jwt_previous_secrets: Vec<SecretString>,
    pub access_token_ttl_secs: u64,
    pub session_idle_days: u32,
    pub session_max_days: u32,
    pub max_sessions: usize,
    pub reset_token_ttl_minutes: u32,
    pub hash_concurrency: usize,
    pub hash_queue: usize,
    /// Account activity entries kept per user (the newest).
    pub activity_kept: u64,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct LimitSetting {
    pub max: u32,
    pub per_secs: u64,
}

impl From<LimitSetting> for RateLimit {
    fn from(limit: LimitSetting) -> Self {
        RateLimit {
            max: limit.max,
            per: Duration::from_secs(limit.per_secs),
        }
    }
}

/// What the Redis-backed limiters do while Redis cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WhenRedisDown {
    /// Count in each instance's memory until Redis is back (limits become per instance).
    Local,
    /// Let every request through.
    Allow,
    /// Refuse limited requests with 503 `rate_limiter_unavailable`.
    Refuse,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitSettings {
    pub when_redis_down: WhenRedisDown,
    /// Failed logins (and password confirmations) per account and client network.
    pub login_per_account: LimitSetting,
    pub login_per_ip: LimitSetting,
    pub register_per_ip: LimitSetting,
    pub forgot_per_ip: LimitSetting,
    pub reset_per_ip: LimitSetting,
    pub forgot_per_email: LimitSetting,
    pub messages_per_user: LimitSetting,
    pub reactions_per_user: LimitSetting,
    pub uploads_per_user: LimitSetting,
    pub conversations_per_user: LimitSetting,
    pub graphql_cost_per_caller: LimitSetting,
    pub prekey_claims_per_caller: LimitSetting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    Log,
    File,
    Smtp,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub from: String,
    pub file_dir: PathBuf,
    pub smtp_url: Option<SecretString>,
}
