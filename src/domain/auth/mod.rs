//! The auth context: credentials, sessions (one per device) and their refresh-token families,
//! password resets. Token formats and hashing algorithms live in infrastructure.

mod account;
mod activity;
mod password;
mod repository;
mod session;
mod token;

pub use account::{Account, Login};
pub use activity::{Activity, ActivityKind, ActivityRepository};
pub use password::{Password, PasswordError, PasswordHash};
pub use repository::{AccountRepository, PasswordResetRepository, Rotation, SessionRepository};
pub use session::{Device, Session, SessionPolicy};
pub use token::{OpaqueToken, TokenHash};
