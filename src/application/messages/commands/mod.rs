//! The messages context's commands: one use case per file, each handler holding only its ports.

mod add_reaction;
mod delete_message;
mod delivered_batch;
mod edit_message;
mod move_marker;
mod remove_reaction;
mod send_message;

pub use crate::domain::conversations::Marker;
pub use add_reaction::{AddReactionHandler, React};
pub use delete_message::DeleteMessageHandler;
pub use delivered_batch::DeliveredBatch;
pub use edit_message::{EditMessage, EditMessageHandler};
pub use move_marker::MoveMarkerHandler;
pub use remove_reaction::RemoveReactionHandler;
pub use send_message::{SendMessage, SendMessageHandler};
