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

/// Counts a failed Redis call, by the part of the server that made it.
pub(crate) fn redis_failed(component: &'static str) {
    metrics::counter!("redis_errors_total", "component" => component).increment(1);
}
