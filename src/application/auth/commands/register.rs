use std::sync::Arc;

use crate::application::auth::{AuthGrant, AuthPorts, ClientInfo, SessionIssuer, spend};
use crate::application::error::AppError;
use crate::application::ports::{Clock, PasswordHasher, RateLimit, RateLimiter};
use crate::domain::auth::{Account, AccountRepository, Password};
use crate::domain::shared::RepoError;
use crate::domain::users::{DisplayName, Email, User, Username};

pub struct Register {
    pub username: Username,
    pub email: Email,
    pub password: Password,
    pub display_name: DisplayName,
    pub client: ClientInfo,
}

/// Creates an account and signs it in on the device it was made from.
pub struct RegisterHandler {
    accounts: Arc<dyn AccountRepository>,
    hasher: Arc<dyn PasswordHasher>,
    limiter: Arc<dyn RateLimiter>,
    per_ip: RateLimit,
    clock: Arc<dyn Clock>,
    issuer: SessionIssuer,
}

impl RegisterHandler {
    pub fn new(ports: &AuthPorts) -> Self {
        Self {
            accounts: ports.accounts.clone(),
            hasher: ports.hasher.clone(),
            limiter: ports.limiter.clone(),
            per_ip: ports.policy.register_per_ip,
            clock: ports.clock.clone(),
            issuer: SessionIssuer::new(ports),
        }
    }

    #[tracing::instrument(skip_all)]
    pub async fn handle(&self, cmd: Register) -> Result<AuthGrant, AppError> {
        let key = format!("register:ip:{}", cmd.client.ip_key());
        spend(self.limiter.as_ref(), key, self.per_ip).await?;
        let user = User::register(cmd.username, cmd.email, cmd.display_name, self.clock.now());
        let password_hash = self.hasher.hash(cmd.password).await?;
        let account = Account {
            user,
            password_hash,
        };
        self.accounts
            .create(&account)
            .await
            .map_err(|error| match error {
                RepoError::Duplicate("username") => AppError::Conflict("username_taken"),
                RepoError::Duplicate("email") => AppError::Conflict("email_taken"),
                other => other.into(),
            })?;
        tracing::info!(user_id = %account.user.id, "user registered");
        self.issuer.start(account.user, cmd.client.device).await
    }
}
