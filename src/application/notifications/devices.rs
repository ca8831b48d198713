use std::sync::Arc;

use super::NotificationsDeps;
use crate::application::error::AppError;
use crate::domain::notifications::{Device, DeviceId, Platform, PushToken};
use crate::domain::shared::UserId;

#[derive(Debug, Clone)]
pub struct RegisterDevice {
    pub platform: Platform,
    pub token: PushToken,
}

pub struct DevicesHandler {
    deps: Arc<NotificationsDeps>,
}

impl DevicesHandler {
    pub fn new(deps: Arc<NotificationsDeps>) -> Self {
        Self { deps }
    }

    /// Registers a push token for the caller; `true` when it is new. Registering a token
    /// again is harmless, and a token another user had moves to the caller (the app signed in
    /// as someone else).
    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn register(
        &self,
        me: UserId,
        cmd: RegisterDevice,
    ) -> Result<(Device, bool), AppError> {
        let device = Device {
            id: DeviceId::new(),
            user_id: me,
            platform: cmd.platform,
            token: cmd.token,
            created_at: self.deps.clock.now(),
        };
        Ok(self.deps.devices.register(&device).await?)
    }

    pub async fn list(&self, me: UserId) -> Result<Vec<Device>, AppError> {
        Ok(self.deps.devices.list(me).await?)
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, device_id = %id))]
    pub async fn remove(&self, me: UserId, id: DeviceId) -> Result<(), AppError> {
        if self.deps.devices.remove(me, id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("device_not_found"))
        }
    }
}
