//! The notifications context's queries: each reads through its ports and changes nothing.

mod device_list;
mod inbox;

pub use device_list::DeviceListHandler;
pub use inbox::{InboxHandler, InboxPage};
