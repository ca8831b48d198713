use std::sync::Arc;

use crate::application::auth::{AuthDeps, AuthGrant, ClientInfo};
use crate::application::error::AppError;
use crate::domain::auth::{Account, Password};
use crate::domain::shared::RepoError;
use crate::domain::users::{DisplayName, Email, User, Username};

pub struct Register {
    pub username: Username,
    pub email: Email,
    pub password: Password,
    pub display_name: DisplayName,
    pub client: ClientInfo,
}

pub struct RegisterHandler(Arc<AuthDeps>);

impl RegisterHandler {
    pub fn new(deps: Arc<AuthDeps>) -> Self {
        Self(deps)
    }

    #[tracing::instrument(skip_all)]
    pub async fn handle(&self, cmd: Register) -> Result<AuthGrant, AppError> {
        let deps = &self.0;
        deps.limit(
            format!("register:ip:{}", cmd.client.ip_key()),
            deps.policy.register_per_ip,
        )
        .await?;
        let user = User::register(cmd.username, cmd.email, cmd.display_name, deps.clock.now());
        let password_hash = deps.hasher.hash(cmd.password).await?;
        let account = Account {
            user,
            password_hash,
        };
        deps.accounts
            .create(&account)
            .await
            .map_err(|error| match error {
                RepoError::Duplicate("username") => AppError::Conflict("username_taken"),
                RepoError::Duplicate("email") => AppError::Conflict("email_taken"),
                other => other.into(),
            })?;
        tracing::info!(user_id = %account.user.id, "user registered");
        deps.start_session(account.user, cmd.client.device).await
    }
}
