//! Typed settings. Layers, later wins: compiled-in `config/default.toml`, `config/local.toml`,
//! the file named by `CHAT_CONFIG`, `CHAT__SECTION__KEY` variables, then `DATABASE_URL`,
//! `REDIS_URL` and `PORT`. The only module that reads the environment.

mod sections;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use config::{Config, Environment as EnvSource, File, FileFormat};
use rand::RngCore;
use secrecy::ExposeSecret;
pub use sections::*;
use serde::Deserialize;
use std::path::PathBuf;

const DEFAULTS: &str = include_str!("../../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub app: AppSettings,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub auth: AuthSettings,
    pub rate_limit: RateLimitSettings,
    pub mail: MailSettings,
    pub conversations: ConversationSettings,
    pub messages: MessageSettings,
    pub graphql: GraphqlSettings,
    pub business: BusinessSettings,
    pub realtime: RealtimeSettings,
    pub events: EventSettings,
    pub notifications: NotificationSettings,
    pub attachments: AttachmentSettings,
    pub metrics: MetricsSettings,
    pub telemetry: TelemetrySettings,
}

impl Settings {
    /// Where uploaded files are kept.
    pub fn attachments_dir(&self) -> PathBuf {
        if self.attachments.dir.is_empty() {
            self.app.data_dir.join("files")
        } else {
            PathBuf::from(&self.attachments.dir)
        }
    }
}

impl Settings {
    /// Reads every layer. Fails on a malformed file or value, naming it.
    pub fn load() -> anyhow::Result<Self> {
        let mut builder = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(File::with_name("config/local").required(false));
        if let Ok(path) = std::env::var("CHAT_CONFIG") {
            builder = builder.add_source(File::with_name(&path).required(true));
        }
        builder = builder.add_source(
            EnvSource::with_prefix("CHAT")
                .prefix_separator("__")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("server.cors_allowed_origins")
                .with_list_parse_key("auth.jwt_previous_secrets")
                .try_parsing(true),
        );
        for (variable, key) in [
            ("DATABASE_URL", "database.url"),
            ("REDIS_URL", "redis.url"),
            ("PORT", "server.port"),
        ] {
            if let Ok(value) = std::env::var(variable) {
                builder = builder.set_override(key, value)?;
            }
        }
        let settings: Settings = builder
            .build()?
            .try_deserialize()
            .context("invalid configuration")?;
        Ok(settings)
    }

    /// The compiled-in defaults alone, ignoring files and the environment (for tests and tools).
    pub fn defaults() -> anyhow::Result<Self> {
        let config = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .build()?;
        Ok(config.try_deserialize()?)
    }

    /// Production when asked for, or when the database is PostgreSQL.
    pub fn is_production(&self) -> bool {
        self.app.environment == Environment::Production
            || self.database_url().starts_with("postgres")
    }

    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.app.data_dir.join("chat.db").display()
            )
        } else {
            self.database.url.clone()
        }
    }

    pub fn redis_url(&self) -> Option<&str> {
        Some(self.redis.url.as_str()).filter(|url| !url.is_empty())
    }

    /// Refuses settings that cannot run safely, with a reason an operator can act on.
    pub fn validate(&self) -> anyhow::Result<()> {
        match &self.auth.jwt_secret {
            Some(secret) if secret.expose_secret().len() < 32 => {
                bail!("CHAT__AUTH__JWT_SECRET must be at least 32 bytes long")
            }
            None if self.is_production() => bail!(
                "CHAT__AUTH__JWT_SECRET is required in production (PostgreSQL or CHAT__APP__ENVIRONMENT=production): \
                 set it to at least 32 random bytes, e.g. `openssl rand -base64 48`"
            ),
            _ => {}
        }
        if self
            .auth
            .jwt_previous_secrets
            .iter()
            .any(|s| s.expose_secret().len() < 32)
        {
            bail!("every CHAT__AUTH__JWT_PREVIOUS_SECRETS entry must be at least 32 bytes long");
        }
        if self.mail.transport == MailTransport::Smtp && self.mail.smtp_url.is_none() {
            bail!("CHAT__MAIL__SMTP_URL is required when CHAT__MAIL__TRANSPORT=smtp");
        }
        let webhook = &self.notifications.push_webhook_url;
        let plain_or_tls = webhook.starts_with("http://") || webhook.starts_with("https://");
        if !webhook.is_empty() && !plain_or_tls {
            bail!("CHAT__NOTIFICATIONS__PUSH_WEBHOOK_URL must be an http:// or https:// URL");
        }
        if self.auth.session_max_days < self.auth.session_idle_days.min(1)
            || self.auth.max_sessions == 0
        {
            bail!("auth.session_max_days and auth.max_sessions must be at least 1");
        }
        Ok(())
    }

    /// The configured JWT secret, or in development one generated once and kept in `data_dir`.
    pub fn jwt_secret(&self) -> anyhow::Result<Vec<u8>> {
        if let Some(secret) = &self.auth.jwt_secret {
            return Ok(secret.expose_secret().as_bytes().to_vec());
        }
        let path = self.app.data_dir.join("jwt.key");
        if let Ok(existing) = std::fs::read_to_string(&path) {
            return STANDARD.decode(existing.trim()).with_context(|| {
                format!(
                    "{} is not base64; delete it to generate a new key",
                    path.display()
                )
            });
        }
        std::fs::create_dir_all(&self.app.data_dir)
            .with_context(|| format!("cannot create {}", self.app.data_dir.display()))?;
        let mut key = vec![0u8; 48];
        rand::rngs::OsRng.fill_bytes(&mut key);
        write_private(&path, &STANDARD.encode(&key))?;
        tracing::info!(path = %path.display(), "generated a JWT signing key");
        Ok(key)
    }
}

fn write_private(path: &std::path::Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn defaults() -> Settings {
        Settings::defaults().unwrap()
    }

    #[test]
    fn defaults_run_embedded_without_secrets() {
        let settings = defaults();
        assert!(!settings.is_production());
        assert!(settings.validate().is_ok());
        assert!(settings.database_url().starts_with("sqlite://"));
        assert_eq!(settings.redis_url(), None);
    }

    #[test]
    fn production_refuses_to_start_without_a_jwt_secret() {
        let mut settings = defaults();
        settings.database.url = "postgres://localhost/chat".into();
        let error = settings.validate().unwrap_err().to_string();
        assert!(error.contains("CHAT__AUTH__JWT_SECRET"), "{error}");

        settings.auth.jwt_secret = Some("too short".into());
        assert!(settings.validate().is_err());
        settings.auth.jwt_secret = Some("x".repeat(32).into());
        assert!(settings.validate().is_ok());
    }

    #[test]
    fn zero_retention_keeps_messages_forever_and_seconds_win_over_days() {
        let mut messages = defaults().messages;
        (messages.retention_days, messages.retention_secs) = (0, 0);
        assert_eq!(messages.retention(), None, "no retention job runs");
        messages.retention_days = 2;
        assert_eq!(messages.retention(), Some(Duration::from_secs(2 * 86_400)));
        messages.retention_secs = 5;
        assert_eq!(messages.retention(), Some(Duration::from_secs(5)));
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let mut settings = defaults();
        settings.auth.jwt_secret = Some("a very secret signing key, 32 bytes+".into());
        assert!(!format!("{settings:?}").contains("very secret"));
    }
}
