mod authenticate;
mod session_list;

pub use authenticate::Authenticate;
pub use session_list::{SessionListHandler, SessionView};
