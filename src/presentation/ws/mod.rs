//! The WebSocket gateway at `/api/v1/ws`: the JSON protocol (`protocol.rs`) and one task per
//! connection (`gateway.rs`). Commands call the same handlers as REST.

pub mod gateway;
pub mod protocol;
