//! Adapters for clients: REST over HTTP (and later the WebSocket gateway). Maps requests to
//! commands and queries, and `AppError` to problem+json. No business rules here.

pub mod http;
pub mod ws;
