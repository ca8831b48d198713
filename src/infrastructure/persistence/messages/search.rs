//! Full-text search: FTS5 on SQLite, `tsvector` on PostgreSQL.

use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};

use super::{COLUMNS, SeaOrmMessageRepository, messages_from_rows};
use crate::domain::messages::Message;
use crate::domain::messages::MessageSearch;
use crate::domain::shared::{ConversationId, RepoError, UserId};
use crate::infrastructure::persistence::entities::messages;
use crate::infrastructure::persistence::{placeholders, unexpected};

#[async_trait]
impl MessageSearch for SeaOrmMessageRepository {
    #[tracing::instrument(name = "db.search", skip_all)]
    async fn search(
        &self,
        user: UserId,
        query: &str,
        conversation: Option<ConversationId>,
        limit: u64,
    ) -> Result<Vec<Message>, RepoError> {
        let backend = self.db.get_database_backend();
        let scope = "m.deleted_at IS NULL AND m.conversation_id IN \
                     (SELECT p.conversation_id FROM participants p WHERE p.user_id = ?)";
        let (mut sql, mut values): (String, Vec<Value>) = match backend {
            DbBackend::Postgres => (
                format!(
                    "SELECT {COLUMNS} FROM messages m, plainto_tsquery('simple', ?) q WHERE m.search @@ q AND {scope}"
                ),
                vec![query.into(), user.as_uuid().into()],
            ),
            _ => {
                let Some(expression) = fts5_query(query) else {
                    return Ok(Vec::new());
                };
                (
                    format!(
                        "SELECT {COLUMNS} FROM messages_fts f JOIN messages m ON m.rowid = f.rowid WHERE messages_fts MATCH ? AND {scope}"
                    ),
                    vec![expression.into(), user.as_uuid().into()],
                )
            }
        };
        if let Some(conversation) = conversation {
            sql.push_str(" AND m.conversation_id = ?");
            values.push(conversation.as_uuid().into());
        }
        sql.push_str(match backend {
            DbBackend::Postgres => " ORDER BY ts_rank(m.search, q) DESC, m.created_at DESC LIMIT ?",
            _ => " ORDER BY f.rank, m.created_at DESC LIMIT ?",
        });
        values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
        let statement =
            Statement::from_sql_and_values(backend, placeholders(backend, &sql), values);
        let rows = messages::Model::find_by_statement(statement)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        messages_from_rows(rows)
    }
}

/// Words of a user's query as an FTS5 expression: each quoted, all required. Quoting makes
/// any input a valid expression (no operators, no syntax errors).
fn fts5_query(raw: &str) -> Option<String> {
    let words: Vec<String> = raw
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\""))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::fts5_query;

    #[test]
    fn user_queries_become_safe_fts5_expressions() {
        assert_eq!(
            fts5_query("hello world").as_deref(),
            Some("\"hello\" \"world\"")
        );
        assert_eq!(
            fts5_query("NEAR(\"x\" OR y*").as_deref(),
            Some("\"NEAR\" \"x\" \"OR\" \"y\"")
        );
        assert_eq!(fts5_query("  ** ").as_deref(), None);
    }
}
