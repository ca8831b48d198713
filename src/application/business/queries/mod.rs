//! The business context's queries: each reads through its ports and changes nothing.

mod business_profile;
mod business_search;
mod case;
mod case_figures;
mod case_history;
mod case_inbox;
mod queue;
mod staff_list;
mod team_list;

pub use business_profile::BusinessProfileHandler;
pub use business_search::BusinessSearchHandler;
pub use case::CaseHandler;
pub use case_figures::CaseFiguresHandler;
pub use case_history::CaseHistoryHandler;
pub use case_inbox::CaseInboxHandler;
pub use queue::QueueHandler;
pub use staff_list::StaffListHandler;
pub use team_list::TeamListHandler;
