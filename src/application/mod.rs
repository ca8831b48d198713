//! Use cases: command and query handlers per context, the ports they need, and `AppError`.
//! Knows nothing of HTTP, SQL or Redis.

pub mod attachments;
pub mod auth;
pub mod business;
pub mod conversations;
pub mod error;
pub mod events;
pub mod limits;
pub mod messages;
pub mod notifications;
pub mod ports;
pub mod realtime;
pub mod users;
