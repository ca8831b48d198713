//! The chat server: a modular monolith in four layers, one folder per bounded context in each
//! (auth, users, conversations, messages, notifications, attachments, business).
//!
//! - `domain/`: aggregates, value objects, repository ports (`repository.rs`) and read ports
//!   (`queries.rs`) per context, and `shared/` (ids, `DomainEvent`, `RepoError`).
//! - `application/`: per context, `commands/` and `queries/` with one handler per use case
//!   (holding only its ports, one `handle`); beside them `events/` (the event log port and its
//!   readers), `realtime/` (delivery, presence, typing, sync), the other ports (`ports.rs`)
//!   and `AppError`.
//! - `infrastructure/`: adapters — sea-orm persistence (one folder or file per context, with
//!   the outbox and the event log), argon2 and JWT, rate limits, caches, mail, in-process and
//!   Redis fan-out and presence, object storage, the virus scanner, the webhook push.
//! - `presentation/`: REST (`http/`: one file per resource, problem+json, OpenAPI), the
//!   WebSocket gateway (`ws/`), GraphQL (`graphql/`) and the web client (`web.rs`).
//!
//! `startup/` wires adapters to handlers; `config/` reads settings; `telemetry/` sets up
//! tracing. Dependencies point inwards: presentation -> application -> domain <-
//! infrastructure.

/// A send burst builds and drops many short-lived buffers (statement values, frames,
/// events): glibc's allocator spent about a sixth of the server's CPU on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod application;
pub mod config;
pub mod domain;
pub mod infrastructure;
pub mod presentation;
pub mod startup;
pub mod telemetry;
