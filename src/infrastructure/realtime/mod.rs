//! Fan-out and presence: in-process for one instance, Redis when several share the load.

pub mod in_process;
pub mod redis;
