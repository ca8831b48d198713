use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::notifications::NotificationsPorts;
use crate::domain::notifications::{DeviceId, DeviceRepository};
use crate::domain::shared::UserId;

/// Forgets one of the caller's devices: no more pushes to it.
pub struct RemoveDeviceHandler {
    devices: Arc<dyn DeviceRepository>,
}

impl RemoveDeviceHandler {
    pub fn new(ports: &NotificationsPorts) -> Self {
        Self {
            devices: ports.devices.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %me, device_id = %id))]
    pub async fn handle(&self, me: UserId, id: DeviceId) -> Result<(), AppError> {
        if self.devices.remove(me, id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("device_not_found"))
        }
    }
}
