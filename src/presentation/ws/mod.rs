//! The WebSocket gateway at `/api/v1/ws`: the frames a client sends (`protocol.rs`) and the
//! server sends (`frames.rs`), their AsyncAPI document (`asyncapi.rs`), the endpoint
//! (`gateway.rs`) and one task per connection (`connection/`). Commands call the same handlers
//! as REST.

pub mod asyncapi;
mod connection;
pub mod frames;
pub mod gateway;
pub mod protocol;
pub mod socket;
