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
pub mod users;

use sea_orm::{DbErr, SqlErr};

use crate::domain::shared::RepoError;

/// Maps a unique violation to `Duplicate(field)`, naming the first of `fields` that the
/// database's message mentions (both engines name the column or its index).
fn repo_error(error: DbErr, fields: &[&'static str]) -> RepoError {
    if let Some(SqlErr::UniqueConstraintViolation(message)) = error.sql_err()
        && let Some(field) = fields.iter().find(|field| message.contains(*field))
    {
        return RepoError::Duplicate(field);
    }
    RepoError::Unexpected(anyhow::Error::new(error))
}

/// A raw statement for `db`'s engine, written with `?` placeholders.
fn statement(
    db: &impl sea_orm::ConnectionTrait,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> sea_orm::Statement {
    let backend = db.get_database_backend();
    sea_orm::Statement::from_sql_and_values(
        backend,
        conversations::placeholders(backend, sql),
        values,
    )
}

fn unexpected(error: DbErr) -> RepoError {
    RepoError::Unexpected(anyhow::Error::new(error))
}

/// The outcome of an `INSERT … ON CONFLICT DO NOTHING`: `true` when the row went in, `false`
/// when it existed already.
fn inserted_unless_present(result: Result<u64, DbErr>) -> Result<bool, RepoError> {
    match result {
        Ok(rows) => Ok(rows == 1),
        Err(DbErr::RecordNotInserted) => Ok(false),
        Err(error) => Err(unexpected(error)),
    }
}
