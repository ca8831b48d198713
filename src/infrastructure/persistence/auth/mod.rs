//! Accounts (here), sessions with their refresh tokens, and password resets.

mod resets;
mod sessions;

use super::db::Db;
use super::entities::users;
use super::{repo_error, unexpected};
use crate::domain::auth::{Account, AccountRepository, Login, PasswordHash};
use crate::domain::shared::{RepoError, UserId};
use crate::domain::users::{DisplayName, Email, User, Username};
use async_trait::async_trait;
pub use resets::SeaOrmPasswordResetRepository;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
pub use sessions::SeaOrmSessionRepository;
use time::OffsetDateTime;

pub struct SeaOrmAccountRepository {
    db: Db,
}

impl SeaOrmAccountRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    async fn find_where(&self, filter: sea_orm::Condition) -> Result<Option<Account>, RepoError> {
        let row = users::Entity::find()
            .filter(filter)
            .one(&self.db)
            .await
            .map_err(unexpected)?;
        row.map(account_from_row).transpose()
    }
}

/// Rows were validated on the way in; a row that no longer parses is corruption, not input.
fn account_from_row(row: users::Model) -> Result<Account, RepoError> {
    let corrupt = |field: &str| {
        RepoError::Unexpected(anyhow::anyhow!("users.{field} of {} is invalid", row.id))
    };
    let user = User {
        id: UserId::from_uuid(row.id),
        username: Username::parse(&row.username).map_err(|_| corrupt("username"))?,
        email: Email::parse(&row.email).map_err(|_| corrupt("email"))?,
        display_name: DisplayName::parse(&row.display_name).map_err(|_| corrupt("display_name"))?,
        created_at: row.created_at,
    };
    Ok(Account {
        user,
        password_hash: PasswordHash::new(row.password_hash),
    })
}

#[async_trait]
impl AccountRepository for SeaOrmAccountRepository {
    async fn create(&self, account: &Account) -> Result<(), RepoError> {
        let user = &account.user;
        let row = users::ActiveModel {
            id: Set(user.id.as_uuid()),
            username: Set(user.username.as_str().to_owned()),
            email: Set(user.email.as_str().to_owned()),
            display_name: Set(user.display_name.as_str().to_owned()),
            password_hash: Set(account.password_hash.as_str().to_owned()),
            bio: Set(String::new()),
            status_text: Set(String::new()),
            avatar_id: Set(None),
            search_name: Set(user.display_name.as_str().to_lowercase()),
            created_at: Set(user.created_at),
            updated_at: Set(user.created_at),
        };
        users::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| repo_error(e, &["username", "email"]))?;
        Ok(())
    }

    async fn find(&self, id: UserId) -> Result<Option<Account>, RepoError> {
        self.find_where(sea_orm::Condition::all().add(users::Column::Id.eq(id.as_uuid())))
            .await
    }

    async fn find_by_login(&self, login: &Login) -> Result<Option<Account>, RepoError> {
        let filter = match login {
            Login::Email(email) => users::Column::Email.eq(email.as_str()),
            Login::Username(username) => users::Column::Username.eq(username.as_str()),
        };
        self.find_where(sea_orm::Condition::all().add(filter)).await
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<Account>, RepoError> {
        self.find_by_login(&Login::Email(email.clone())).await
    }

    async fn set_password_hash(
        &self,
        id: UserId,
        hash: &PasswordHash,
        now: OffsetDateTime,
    ) -> Result<(), RepoError> {
        users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::value(hash.as_str()))
            .col_expr(users::Column::UpdatedAt, Expr::value(now))
            .filter(users::Column::Id.eq(id.as_uuid()))
            .exec(&self.db)
            .await
            .map_err(unexpected)?;
        Ok(())
    }
}
