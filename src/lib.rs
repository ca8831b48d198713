//! The chat server: a modular monolith in four layers.
//!
//! - `domain/`: per context (auth, users), aggregates, value objects and repository ports.
//! - `application/`: command and query handlers, the other ports (`ports.rs`) and `AppError`.
//! - `infrastructure/`: adapters — sea-orm persistence, argon2 and JWT, rate limits, mail.
//! - `presentation/`: the REST API (routes, problem+json, OpenAPI).
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
