//! The messages context: messages with their per-conversation `seq`, edits, soft deletion,
//! reactions, threads, mentions and receipts.

mod message;
mod queries;
mod repository;

pub use message::{
    ClientMessageId, Emoji, Message, MessageContent, MessageDraft, MessageError, MessageKind,
    ReactedMessage, Reaction, Reactors,
};
pub use queries::{HistoryQueries, HistoryRange, MessageSearch, Receipt, ReceiptQueries};
pub use repository::MessageRepository;
