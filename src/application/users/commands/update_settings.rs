use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::ports::Clock;
use crate::application::users::UsersPorts;
use crate::domain::shared::UserId;
use crate::domain::users::{DirectMessagePolicy, Settings, SettingsRepository, Visibility};

/// A partial settings update: `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct SettingsChanges {
    pub presence: Option<Visibility>,
    pub last_seen: Option<Visibility>,
    pub direct_messages: Option<DirectMessagePolicy>,
    pub group_invites: Option<Visibility>,
    pub notify_messages: Option<bool>,
    pub notify_mentions: Option<bool>,
    pub notify_contact_requests: Option<bool>,
    pub notify_group_invites: Option<bool>,
    pub email_digest: Option<bool>,
}

/// Changes the caller's privacy and notification settings; what is not given stays.
pub struct UpdateSettingsHandler {
    settings: Arc<dyn SettingsRepository>,
    clock: Arc<dyn Clock>,
}

impl UpdateSettingsHandler {
    pub fn new(ports: &UsersPorts) -> Self {
        Self {
            settings: ports.settings.clone(),
            clock: ports.clock.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn handle(&self, me: UserId, changes: SettingsChanges) -> Result<Settings, AppError> {
        let mut settings = self.settings.get(me).await?;
        let n = &mut settings.notifications;
        settings.presence = changes.presence.unwrap_or(settings.presence);
        settings.last_seen = changes.last_seen.unwrap_or(settings.last_seen);
        settings.direct_messages = changes.direct_messages.unwrap_or(settings.direct_messages);
        settings.group_invites = changes.group_invites.unwrap_or(settings.group_invites);
        n.messages = changes.notify_messages.unwrap_or(n.messages);
        n.mentions = changes.notify_mentions.unwrap_or(n.mentions);
        n.contact_requests = changes
            .notify_contact_requests
            .unwrap_or(n.contact_requests);
        n.group_invites = changes.notify_group_invites.unwrap_or(n.group_invites);
        n.email_digest = changes.email_digest.unwrap_or(n.email_digest);
        self.settings.save(me, &settings, self.clock.now()).await?;
        Ok(settings)
    }
}
