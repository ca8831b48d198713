use std::sync::Arc;

use crate::application::auth::{
    ActivityLog, AuthGrant, AuthPorts, ClientInfo, PasswordCheck, SessionIssuer, spend,
};
use crate::application::error::AppError;
use crate::application::ports::{RateLimit, RateLimiter};
use crate::domain::auth::{AccountRepository, ActivityKind, Login};

pub struct LogIn {
    /// Email or username, as typed.
    pub login: String,
    pub password: String,
    pub client: ClientInfo,
}

/// Signs in with an email or username and a password, on one device.
pub struct LoginHandler {
    accounts: Arc<dyn AccountRepository>,
    limiter: Arc<dyn RateLimiter>,
    per_ip: RateLimit,
    passwords: PasswordCheck,
    issuer: SessionIssuer,
    log: ActivityLog,
}

impl LoginHandler {
    pub fn new(ports: &AuthPorts) -> Self {
        Self {
            accounts: ports.accounts.clone(),
            limiter: ports.limiter.clone(),
            per_ip: ports.policy.login_per_ip,
            passwords: PasswordCheck::new(ports),
            issuer: SessionIssuer::new(ports),
            log: ActivityLog::new(ports),
        }
    }

    #[tracing::instrument(skip_all)]
    pub async fn handle(&self, cmd: LogIn) -> Result<AuthGrant, AppError> {
        let key = format!("login:ip:{}", cmd.client.ip_key());
        spend(self.limiter.as_ref(), key, self.per_ip).await?;
        let login = Login::parse(&cmd.login);
        let account = match &login {
            Some(login) => self.accounts.find_by_login(login).await?,
            None => None,
        };
        // Keyed by the account, so switching between its email and username does not reset
        // the count; unknown names are keyed as typed.
        let account_key = match (&account, &login) {
            (Some(account), _) => account.user.id.to_string(),
            (None, Some(login)) => login.key().to_owned(),
            (None, None) => cmd.login.trim().to_lowercase(),
        };
        // Unknown accounts cost a full hash too, so timing does not reveal which exist.
        let hash = account.as_ref().map(|a| a.password_hash.clone());
        let failures = format!("login-failed:{account_key}:{}", cmd.client.ip_key());
        let verified = self.passwords.verify(failures, cmd.password, hash).await?;
        let Some(account) = account else {
            return Err(AppError::Unauthenticated("invalid_credentials"));
        };
        if !verified {
            self.log
                .note(
                    account.user.id,
                    ActivityKind::LoginFailed,
                    &cmd.client,
                    None,
                )
                .await;
            return Err(AppError::Unauthenticated("invalid_credentials"));
        }
        tracing::info!(user_id = %account.user.id, "user logged in");
        let user_id = account.user.id;
        let grant = self
            .issuer
            .start(account.user, cmd.client.device.clone())
            .await?;
        self.log
            .note(
                user_id,
                ActivityKind::Login,
                &cmd.client,
                Some(grant.session_id),
            )
            .await;
        Ok(grant)
    }
}
