//! The messages context's queries: each reads through its read ports and changes nothing.

mod history;
mod receipts;
mod search;
mod thread;

pub(crate) use history::overseen_page;
pub use history::{HistoryHandler, HistoryPage};
pub use receipts::{ReceiptsHandler, ReceiptsView};
pub use search::{SearchHandler, SearchMessages};
pub use thread::{Thread, ThreadHandler};
