//! Rate limiters: in-process (one instance) or Redis (shared by every instance).

pub mod in_process;
pub mod redis;
