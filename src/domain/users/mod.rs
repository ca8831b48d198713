//! The users context: who someone is (username, email, display name).

mod display_name;
mod email;
mod user;
mod username;

pub use display_name::{DisplayName, DisplayNameError};
pub use email::{Email, EmailError};
pub use user::User;
pub use username::{Username, UsernameError};
