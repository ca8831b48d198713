use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::notifications::NotificationsPorts;
use crate::domain::notifications::{Device, DeviceRepository};
use crate::domain::shared::UserId;

/// The caller's registered devices.
pub struct DeviceListHandler {
    devices: Arc<dyn DeviceRepository>,
}

impl DeviceListHandler {
    pub fn new(ports: &NotificationsPorts) -> Self {
        Self {
            devices: ports.devices.clone(),
        }
    }

    pub async fn handle(&self, me: UserId) -> Result<Vec<Device>, AppError> {
        Ok(self.devices.list(me).await?)
    }
}
