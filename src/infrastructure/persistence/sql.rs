//! The helpers every repository shares: raw statements for either engine, and error mapping.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, EntityTrait, PrimaryKeyTrait, SqlErr};

use crate::domain::shared::RepoError;

/// Maps a unique violation to `Duplicate(field)`, naming the first of `fields` that the
/// database's message mentions (both engines name the column or its index).
pub(super) fn repo_error(error: DbErr, fields: &[&'static str]) -> RepoError {
    if let Some(SqlErr::UniqueConstraintViolation(message)) = error.sql_err()
        && let Some(field) = fields.iter().find(|field| message.contains(*field))
    {
        return RepoError::Duplicate(field);
    }
    RepoError::Unexpected(anyhow::Error::new(error))
}

/// A raw statement for `db`'s engine, written with `?` placeholders.
pub(super) fn statement(
    db: &impl sea_orm::ConnectionTrait,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> sea_orm::Statement {
    let backend = db.get_database_backend();
    sea_orm::Statement::from_sql_and_values(backend, placeholders(backend, sql), values)
}

/// The row of `E` whose primary key is `id`, if any.
pub(super) async fn row_by_id<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: impl Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>,
) -> Result<Option<E::Model>, RepoError> {
    E::find_by_id(id).one(db).await.map_err(unexpected)
}

pub(super) fn unexpected(error: DbErr) -> RepoError {
    RepoError::Unexpected(anyhow::Error::new(error))
}

/// The outcome of an `INSERT … ON CONFLICT DO NOTHING`: `true` when the row went in, `false`
/// when it existed already.
pub(super) fn inserted_unless_present(result: Result<u64, DbErr>) -> Result<bool, RepoError> {
    match result {
        Ok(rows) => Ok(rows == 1),
        Err(DbErr::RecordNotInserted) => Ok(false),
        Err(error) => Err(unexpected(error)),
    }
}

/// A stored value that no longer parses: the database, not the caller, is wrong.
pub(super) fn corrupt(what: &str) -> RepoError {
    RepoError::Unexpected(anyhow::anyhow!("stored {what} is invalid"))
}

/// Rewrites `?` placeholders as `$1, $2, …` for PostgreSQL.
pub(super) fn placeholders(backend: DbBackend, sql: &str) -> String {
    if backend != DbBackend::Postgres {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_placeholders_for_postgres_only() {
        assert_eq!(
            placeholders(DbBackend::Postgres, "a = ? AND b < ?"),
            "a = $1 AND b < $2"
        );
        assert_eq!(placeholders(DbBackend::Sqlite, "a = ?"), "a = ?");
    }
}
