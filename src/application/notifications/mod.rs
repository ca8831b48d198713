//! Notifications use cases: the subscriber that turns domain events into notifications (and
//! pushes), the inbox queries and read marks, and device registration.

pub mod commands;
mod digest;
mod push;
pub mod queries;
mod subscriber;
mod view;

use std::sync::Arc;

use async_trait::async_trait;

pub use commands::{
    MarkRead, MarkReadHandler, RegisterDevice, RegisterDeviceHandler, RemoveDeviceHandler,
};
pub use digest::{DigestPolicy, Digests};
pub use push::Pusher;
pub use queries::{DeviceListHandler, InboxHandler, InboxPage};
pub use subscriber::NotificationsSubscriber;
pub use view::NotificationView;

use crate::application::ports::Clock;
use crate::application::realtime::PresenceStore;
use crate::application::users::Relationships;
use crate::domain::conversations::ParticipantRepository;
use crate::domain::notifications::{
    Device, DeviceRepository, Notification, NotificationRepository,
};
use crate::domain::users::SettingsRepository;

/// What became of a push the service took an answer for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    Delivered,
    /// The service no longer knows the device's token (the app was removed): forget the device.
    Unregistered,
}

/// Delivers one notification to one device through a push service. Implementations retry
/// transient failures themselves; an `Err` means the push was given up.
#[async_trait]
pub trait PushSender: Send + Sync {
    async fn push(
        &self,
        device: &Device,
        notification: &Notification,
    ) -> anyhow::Result<PushOutcome>;
}

/// What the notifications handlers and subscriber are built from; each keeps only the ports
/// it uses.
pub struct NotificationsPorts {
    pub notifications: Arc<dyn NotificationRepository>,
    pub devices: Arc<dyn DeviceRepository>,
    pub participants: Arc<dyn ParticipantRepository>,
    pub settings: Arc<dyn SettingsRepository>,
    pub relationships: Relationships,
    pub presence: Arc<dyn PresenceStore>,
    pub clock: Arc<dyn Clock>,
}

/// Every notifications handler, built once at startup.
pub struct NotificationsHandlers {
    pub inbox: InboxHandler,
    pub mark_read: MarkReadHandler,
    pub devices: DeviceListHandler,
    pub register_device: RegisterDeviceHandler,
    pub remove_device: RemoveDeviceHandler,
}

impl NotificationsHandlers {
    pub fn new(ports: &NotificationsPorts) -> Self {
        Self {
            inbox: InboxHandler::new(ports),
            mark_read: MarkReadHandler::new(ports),
            devices: DeviceListHandler::new(ports),
            register_device: RegisterDeviceHandler::new(ports),
            remove_device: RemoveDeviceHandler::new(ports),
        }
    }
}
