use std::sync::Arc;

use crate::application::auth::{AuthDeps, ClientInfo};
use crate::application::error::AppError;
use crate::domain::auth::{ActivityKind, OpaqueToken, Password};

pub struct ResetPassword {
    pub token: OpaqueToken,
    pub new_password: Password,
    pub client: ClientInfo,
}

/// Sets a new password with a mailed token and signs out every device.
pub struct ResetPasswordHandler(Arc<AuthDeps>);

impl ResetPasswordHandler {
    pub fn new(deps: Arc<AuthDeps>) -> Self {
        Self(deps)
    }

    #[tracing::instrument(skip_all)]
    pub async fn handle(&self, cmd: ResetPassword) -> Result<(), AppError> {
        let deps = &self.0;
        deps.limit(
            format!("reset:ip:{}", cmd.client.ip_key()),
            deps.policy.reset_per_ip,
        )
        .await?;
        let refused = || AppError::invalid("token", "is invalid, expired or already used");
        let token = cmd.token.hash();
        // The costly hash only for a token that can be used; spent only once the hash is made,
        // so the slow step never sits between spending the token and using it.
        deps.resets
            .peek(&token, deps.clock.now())
            .await?
            .ok_or_else(refused)?;
        let hash = deps.hasher.hash(cmd.new_password).await?;
        let now = deps.clock.now();
        let user_id = deps
            .resets
            .consume(&token, now)
            .await?
            .ok_or_else(refused)?;
        deps.accounts.set_password_hash(user_id, &hash, now).await?;
        let revoked = deps.sessions.revoke_all(user_id, None, now).await?;
        deps.note(user_id, ActivityKind::PasswordReset, &cmd.client, None)
            .await;
        tracing::info!(%user_id, revoked, "password reset");
        Ok(())
    }
}
