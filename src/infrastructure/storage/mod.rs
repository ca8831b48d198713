//! File storage adapters.

pub mod object_store;
