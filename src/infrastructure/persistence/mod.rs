//! sea-orm adapters: one code path for SQLite and PostgreSQL.

pub mod activity;
pub mod attachments;
pub mod auth;
pub mod business;
pub mod conversations;
pub mod db;
pub mod digests;
mod entities;
mod message_batch;
pub mod messages;
pub mod notifications;
pub mod outbox;
mod sql;
mod sqlite_setup;
pub mod users;

use sql::{
    corrupt, inserted_unless_present, placeholders, repo_error, row_by_id, statement, unexpected,
};
