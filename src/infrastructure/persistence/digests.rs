//! Who is due an e-mail digest, and the once-per-period claim.

use async_trait::async_trait;
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use super::db::Db;
use super::unexpected;
use crate::domain::notifications::{DigestRepository, NotificationKind};
use crate::domain::shared::{RepoError, UserId};

pub struct SeaOrmDigestRepository {
    db: Db,
}

impl SeaOrmDigestRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    fn statement(&self, sql: &str, values: Vec<Value>) -> Statement {
        super::statement(&self.db, sql, values)
    }
}

#[derive(FromQueryResult)]
struct Due {
    user_id: Uuid,
}

#[derive(FromQueryResult)]
struct KindCount {
    kind: String,
    n: i64,
}

#[async_trait]
impl DigestRepository for SeaOrmDigestRepository {
    async fn due(
        &self,
        quiet_since: OffsetDateTime,
        period_start: OffsetDateTime,
        limit: u64,
    ) -> Result<Vec<UserId>, RepoError> {
        let sql = "SELECT DISTINCT n.user_id AS user_id FROM notifications n \
             JOIN user_settings s ON s.user_id = n.user_id \
             LEFT JOIN email_digests d ON d.user_id = n.user_id \
             WHERE s.email_digest = ? AND n.read_at IS NULL AND n.created_at <= ? \
             AND (d.sent_at IS NULL OR (d.sent_at <= ? AND n.created_at > d.sent_at)) \
             ORDER BY n.user_id LIMIT ?";
        let values = vec![
            true.into(),
            quiet_since.into(),
            period_start.into(),
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
        ];
        let rows = Due::find_by_statement(self.statement(sql, values))
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .map(|r| UserId::from_uuid(r.user_id))
            .collect())
    }

    async fn unread_by_kind(
        &self,
        user: UserId,
    ) -> Result<Vec<(NotificationKind, u64)>, RepoError> {
        let sql = "SELECT kind, COUNT(*) AS n FROM notifications \
             WHERE user_id = ? AND read_at IS NULL GROUP BY kind ORDER BY kind";
        let rows = KindCount::find_by_statement(self.statement(sql, vec![user.as_uuid().into()]))
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .filter_map(|r| Some((NotificationKind::parse(&r.kind)?, r.n.max(0) as u64)))
            .collect())
    }

    async fn claim(
        &self,
        user: UserId,
        now: OffsetDateTime,
        period_start: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        // One statement: two instances claiming at once cannot both win.
        let sql = "INSERT INTO email_digests (user_id, sent_at) VALUES (?, ?) \
             ON CONFLICT (user_id) DO UPDATE SET sent_at = excluded.sent_at \
             WHERE email_digests.sent_at <= ?";
        let values = vec![user.as_uuid().into(), now.into(), period_start.into()];
        let result = self
            .db
            .execute_raw(self.statement(sql, values))
            .await
            .map_err(unexpected)?;
        Ok(result.rows_affected() == 1)
    }
}
