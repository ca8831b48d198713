//! Adapters for the ports, grouped by technology. Nothing here decides business rules.

pub mod antivirus;
pub mod cache;
pub mod clock;
pub mod health;
pub mod mail;
pub mod media;
pub mod persistence;
pub mod push;
pub mod rate_limit;
pub mod realtime;
pub mod security;
pub mod storage;
