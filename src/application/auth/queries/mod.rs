mod activity;
mod authenticate;
mod session_list;

pub use activity::{ActivityHandler, ActivityPage};
pub use authenticate::Authenticate;
pub use session_list::{SessionListHandler, SessionView};
