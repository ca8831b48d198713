//! The chat server: a modular monolith in four layers.
//!
//! - `domain/`: per context (auth, users, conversations, messages, notifications), aggregates,
//!   value objects and repository ports.
//! - `application/`: command and query handlers per context, plus `events/` (the event log
//!   port and its readers) and `realtime/` (delivery, presence, typing), the other ports
//!   (`ports.rs`) and `AppError`.
//! - `infrastructure/`: adapters — sea-orm persistence (with the outbox, the event log), argon2
//!   and JWT, rate limits, mail, in-process and Redis fan-out and presence, the webhook push.
//! - `presentation/`: the REST API (routes, problem+json, OpenAPI) and the WebSocket gateway.
//!
//! `startup.rs` wires adapters to handlers; `config.rs` reads settings; `telemetry.rs` sets up
//! tracing. Dependencies point inwards: presentation -> application -> domain <- infrastructure.

pub mod application;
pub mod config;
pub mod domain;
pub mod infrastructure;
pub mod presentation;
pub mod startup;
pub mod telemetry;
