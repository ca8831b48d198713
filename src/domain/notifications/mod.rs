//! Notifications: what a user is told about while away, and the devices pushes go to.

mod device;
mod notification;
mod repository;

pub use crate::domain::shared::{DeviceId, NotificationId};
pub use device::{Device, DeviceError, Platform, PushToken};
pub use notification::{Notification, NotificationKind};
pub use repository::{DeviceRepository, DigestRepository, NotificationRepository};
