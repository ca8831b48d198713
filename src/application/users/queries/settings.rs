use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::users::UsersPorts;
use crate::domain::shared::UserId;
use crate::domain::users::{Settings, SettingsRepository};

/// The caller's privacy and notification settings.
pub struct SettingsHandler {
    settings: Arc<dyn SettingsRepository>,
}

impl SettingsHandler {
    pub fn new(ports: &UsersPorts) -> Self {
        Self {
            settings: ports.settings.clone(),
        }
    }

    pub async fn handle(&self, me: UserId) -> Result<Settings, AppError> {
        Ok(self.settings.get(me).await?)
    }
}
