//! Domain event buses.

pub mod in_process;
