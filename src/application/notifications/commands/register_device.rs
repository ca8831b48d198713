use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::notifications::NotificationsPorts;
use crate::application::ports::Clock;
use crate::domain::notifications::{Device, DeviceId, DeviceRepository, Platform, PushToken};
use crate::domain::shared::UserId;

#[derive(Debug, Clone)]
pub struct RegisterDevice {
    pub platform: Platform,
    pub token: PushToken,
}

/// Registers a push token for the caller; `true` when it is new. Registering a token again is
/// harmless, and a token another user had moves to the caller (the app signed in as someone
/// else).
pub struct RegisterDeviceHandler {
    devices: Arc<dyn DeviceRepository>,
    clock: Arc<dyn Clock>,
}

impl RegisterDeviceHandler {
    pub fn new(ports: &NotificationsPorts) -> Self {
        Self {
            devices: ports.devices.clone(),
            clock: ports.clock.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me))]
    pub async fn handle(
        &self,
        me: UserId,
        cmd: RegisterDevice,
    ) -> Result<(Device, bool), AppError> {
        let device = Device {
            id: DeviceId::new(),
            user_id: me,
            platform: cmd.platform,
            token: cmd.token,
            created_at: self.clock.now(),
        };
        Ok(self.devices.register(&device).await?)
    }
}
