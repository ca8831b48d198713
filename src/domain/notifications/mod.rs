//! Notifications: what a user is told about while away, and the devices pushes go to.

mod device;
mod notification;
mod repository;

pub use device::{Device, DeviceError, DeviceId, Platform, PushToken};
pub use notification::{Notification, NotificationId, NotificationKind};
pub use repository::{DeviceRepository, NotificationRepository};
