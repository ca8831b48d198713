//! Business rules, one folder per bounded context. Pure Rust: no web, database or cache types here.

pub mod attachments;
pub mod auth;
pub mod business;
pub mod conversations;
pub mod messages;
pub mod notifications;
pub mod shared;
pub mod users;
