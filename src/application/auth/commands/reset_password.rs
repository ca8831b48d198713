use std::sync::Arc;

use crate::application::auth::{ActivityLog, AuthPorts, ClientInfo, spend};
use crate::application::error::AppError;
use crate::application::ports::{Clock, PasswordHasher, RateLimit, RateLimiter};
use crate::domain::auth::{
    AccountRepository, ActivityKind, OpaqueToken, Password, PasswordResetRepository,
    SessionRepository,
};

pub struct ResetPassword {
    pub token: OpaqueToken,
    pub new_password: Password,
    pub client: ClientInfo,
}

/// Sets a new password with a mailed token and signs out every device.
pub struct ResetPasswordHandler {
    accounts: Arc<dyn AccountRepository>,
    sessions: Arc<dyn SessionRepository>,
    resets: Arc<dyn PasswordResetRepository>,
    hasher: Arc<dyn PasswordHasher>,
    limiter: Arc<dyn RateLimiter>,
    per_ip: RateLimit,
    clock: Arc<dyn Clock>,
    log: ActivityLog,
}

impl ResetPasswordHandler {
    pub fn new(ports: &AuthPorts) -> Self {
        Self {
            accounts: ports.accounts.clone(),
            sessions: ports.sessions.clone(),
            resets: ports.resets.clone(),
            hasher: ports.hasher.clone(),
            limiter: ports.limiter.clone(),
            per_ip: ports.policy.reset_per_ip,
            clock: ports.clock.clone(),
            log: ActivityLog::new(ports),
        }
    }

    #[tracing::instrument(skip_all)]
    pub async fn handle(&self, cmd: ResetPassword) -> Result<(), AppError> {
        let key = format!("reset:ip:{}", cmd.client.ip_key());
        spend(self.limiter.as_ref(), key, self.per_ip).await?;
        let refused = || AppError::invalid("token", "is invalid, expired or already used");
        let token = cmd.token.hash();
        // The costly hash only for a token that can be used; spent only once the hash is made,
        // so the slow step never sits between spending the token and using it.
        self.resets
            .peek(&token, self.clock.now())
            .await?
            .ok_or_else(refused)?;
        let hash = self.hasher.hash(cmd.new_password).await?;
        let now = self.clock.now();
        let user_id = self
            .resets
            .consume(&token, now)
            .await?
            .ok_or_else(refused)?;
        self.accounts.set_password_hash(user_id, &hash, now).await?;
        let revoked = self.sessions.revoke_all(user_id, None, now).await?;
        self.log
            .note(user_id, ActivityKind::PasswordReset, &cmd.client, None)
            .await;
        tracing::info!(%user_id, revoked, "password reset");
        Ok(())
    }
}
