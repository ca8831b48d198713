//! The messages context: messages with their per-conversation `seq`, edits, soft deletion,
//! reactions, threads, mentions and receipts.

mod content;
mod message;
mod queries;
mod reaction;
mod repository;

pub use content::{ClientMessageId, Emoji, MessageContent, MessageError, MessageKind};
pub use message::{Message, MessageDraft, MessageRecord};
pub use queries::{
    HistoryQueries, HistoryRange, HistoryState, MessageSearch, Receipt, ReceiptQueries,
};
pub use reaction::{ReactedMessage, Reaction, Reactors};
pub use repository::MessageRepository;
