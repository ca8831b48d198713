//! Profiles, settings, contacts, blocks and the E2EE key directory: one file per repository.

mod blocks;
mod contacts;
mod keys;
mod settings;

pub use blocks::SeaOrmBlockRepository;
pub use contacts::SeaOrmContactRepository;
pub use keys::SeaOrmKeyRepository;
pub use settings::SeaOrmSettingsRepository;

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, Statement, Value,
};
use time::OffsetDateTime;

use crate::domain::shared::{RepoError, UserId};
use crate::domain::users::{
    Bio, DisplayName, Profile, ProfileRepository, SearchPage, StatusText, Username,
};
use crate::infrastructure::persistence::db::Db;
use crate::infrastructure::persistence::entities::users;
use crate::infrastructure::persistence::{corrupt, placeholders, row_by_id, unexpected};

const USER_COLUMNS: &str = "id, username, email, display_name, password_hash, bio, status_text, avatar_id, \
    search_name, created_at, updated_at";

fn profile_from_row(row: users::Model) -> Result<Profile, RepoError> {
    Ok(Profile {
        id: UserId::from_uuid(row.id),
        username: Username::parse(&row.username).map_err(|_| corrupt("username"))?,
        display_name: DisplayName::parse(&row.display_name).map_err(|_| corrupt("display_name"))?,
        bio: Bio::parse(&row.bio).map_err(|_| corrupt("bio"))?,
        status_text: StatusText::parse(&row.status_text).map_err(|_| corrupt("status_text"))?,
        avatar_id: row.avatar_id,
        created_at: row.created_at,
    })
}

pub struct SeaOrmProfileRepository {
    db: Db,
}

impl SeaOrmProfileRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl ProfileRepository for SeaOrmProfileRepository {
    async fn find(&self, id: UserId) -> Result<Option<Profile>, RepoError> {
        let row = row_by_id::<users::Entity>(&self.db, id.as_uuid()).await?;
        row.map(profile_from_row).transpose()
    }

    async fn find_many(&self, ids: &[UserId]) -> Result<Vec<Profile>, RepoError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = users::Entity::find()
            .filter(users::Column::Id.is_in(ids.iter().map(UserId::as_uuid)))
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        rows.into_iter().map(profile_from_row).collect()
    }

    async fn update(&self, profile: &Profile, now: OffsetDateTime) -> Result<(), RepoError> {
        users::Entity::update_many()
            .col_expr(
                users::Column::DisplayName,
                Expr::value(profile.display_name.as_str()),
            )
            .col_expr(
                users::Column::SearchName,
                Expr::value(profile.display_name.as_str().to_lowercase()),
            )
            .col_expr(users::Column::Bio, Expr::value(profile.bio.as_str()))
            .col_expr(
                users::Column::StatusText,
                Expr::value(profile.status_text.as_str()),
            )
            .col_expr(users::Column::AvatarId, Expr::value(profile.avatar_id))
            .col_expr(users::Column::UpdatedAt, Expr::value(now))
            .filter(users::Column::Id.eq(profile.id.as_uuid()))
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn search(
        &self,
        viewer: UserId,
        prefix: &str,
        after: Option<&str>,
        limit: u64,
    ) -> Result<SearchPage, RepoError> {
        // `[prefix, prefix + U+10FFFF)` is exactly "starts with prefix" in byte order (both
        // columns sort bytewise: SQLite's default, PostgreSQL's "C" collation). Each side of the
        // UNION is an index range scan that stops after one page; only two pages get merged.
        let upper = format!("{prefix}\u{10FFFF}");
        let backend = self.db.get_database_backend();
        let after_clause = if after.is_some() {
            " AND username > ?"
        } else {
            ""
        };
        let branch = |column: &str| {
            format!(
                "SELECT * FROM (SELECT {USER_COLUMNS} FROM users WHERE {column} >= ? AND {column} < ?{after_clause} \
                 AND id <> ? AND id NOT IN (SELECT blocker_id FROM blocks WHERE blocked_id = ?) \
                 ORDER BY username LIMIT ?) AS b_{column}"
            )
        };
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM ({} UNION {}) AS found ORDER BY username LIMIT ?",
            branch("username"),
            branch("search_name")
        );
        let page = i64::try_from(limit + 1).unwrap_or(i64::MAX);
        let mut values: Vec<Value> = Vec::new();
        for _ in 0..2 {
            values.extend([prefix.into(), upper.as_str().into()]);
            if let Some(after) = after {
                values.push(after.into());
            }
            values.extend([
                viewer.as_uuid().into(),
                viewer.as_uuid().into(),
                page.into(),
            ]);
        }
        values.push(page.into());
        let statement =
            Statement::from_sql_and_values(backend, placeholders(backend, &sql), values);
        let rows = users::Model::find_by_statement(statement)
            .all(&self.db)
            .await
            .map_err(unexpected)?;
        let more = rows.len() as u64 > limit;
        let profiles: Vec<Profile> = rows
            .into_iter()
            .take(limit as usize)
            .map(profile_from_row)
            .collect::<Result<_, _>>()?;
        let next_after = more
            .then(|| profiles.last().map(|p| p.username.as_str().to_owned()))
            .flatten();
        Ok(SearchPage {
            profiles,
            next_after,
        })
    }
}
