//! The conversations context's queries: each reads through its read ports and changes nothing.

mod chat_list;
mod conversation;
mod participant_list;

pub use chat_list::{ChatList, ChatListHandler};
pub use conversation::ConversationHandler;
pub use participant_list::ParticipantListHandler;
