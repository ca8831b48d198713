//! Adapters for clients: REST over HTTP, GraphQL, the WebSocket gateway and the web client's files. Maps requests to
//! commands and queries, and `AppError` to problem+json. No business rules here.

pub mod graphql;
pub mod http;
pub mod nul;
pub mod upgrade;
pub mod web;
pub mod ws;
