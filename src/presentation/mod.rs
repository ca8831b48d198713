//! Adapters for clients: REST over HTTP and the WebSocket gateway. Maps requests to
//! commands and queries, and `AppError` to problem+json. No business rules here.

pub mod http;
pub mod nul;
pub mod ws;
