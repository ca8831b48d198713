//! The notifications context's commands: one use case per file, each handler holding only its
//! ports.

mod mark_read;
mod register_device;
mod remove_device;

pub use mark_read::{MarkRead, MarkReadHandler};
pub use register_device::{RegisterDevice, RegisterDeviceHandler};
pub use remove_device::RemoveDeviceHandler;
