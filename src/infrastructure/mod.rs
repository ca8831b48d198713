//! Adapters for the ports, grouped by technology. Nothing here decides business rules.

pub mod clock;
pub mod health;
pub mod mail;
pub mod persistence;
pub mod rate_limit;
pub mod security;
