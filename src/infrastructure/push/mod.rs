//! Push delivery adapters.

pub mod webhook;
