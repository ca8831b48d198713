use std::sync::Arc;

use async_trait::async_trait;

use super::{PushOutcome, PushSender};
use crate::application::error::AppError;
use crate::application::events::{EventHandler, LoggedEvent};
use crate::domain::notifications::{DeviceRepository, Notification};
use crate::domain::shared::DomainEvent;

/// Pushes each new notification to its recipient's devices, once per device: a replayed event
/// finds its pushes claimed already.
pub struct Pusher {
    push: Arc<dyn PushSender>,
    devices: Arc<dyn DeviceRepository>,
}

impl Pusher {
    pub fn new(push: Arc<dyn PushSender>, devices: Arc<dyn DeviceRepository>) -> Self {
        Self { push, devices }
    }

    async fn push_to_devices(&self, n: &Notification) -> Result<(), AppError> {
        for device in self.devices.list(n.user_id).await? {
            if !self.devices.claim_push(n.id, device.id).await? {
                continue;
            }
            match self.push.push(&device, n).await {
                Ok(PushOutcome::Delivered) => {}
                Ok(PushOutcome::Unregistered) => {
                    tracing::info!(device_id = %device.id, "push token gone; device removed");
                    if let Err(error) = self.devices.remove(device.user_id, device.id).await {
                        tracing::warn!(%error, device_id = %device.id, "dead device kept");
                    }
                }
                Err(error) => tracing::warn!(%error, device_id = %device.id, "push given up"),
            }
        }
        Ok(())
    }
}

#[async_trait]
impl EventHandler for Pusher {
    async fn handle(&self, logged: &LoggedEvent) -> Result<(), AppError> {
        match &logged.event {
            DomainEvent::NotificationCreated { notification } => {
                self.push_to_devices(notification).await
            }
            _ => Ok(()),
        }
    }
}
