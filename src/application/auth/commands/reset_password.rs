use std::sync::Arc;

use crate::application::auth::AuthDeps;
use crate::application::error::AppError;
use crate::domain::auth::{OpaqueToken, Password};

pub struct ResetPassword {
    pub token: OpaqueToken,
    pub new_password: Password,
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
        // Hash first: the slow step must not sit between spending the token and using it.
        let hash = deps.hasher.hash(cmd.new_password).await?;
        let now = deps.clock.now();
        let user_id = deps
            .resets
            .consume(&cmd.token.hash(), now)
            .await?
            .ok_or_else(|| AppError::invalid("token", "is invalid, expired or already used"))?;
        deps.accounts.set_password_hash(user_id, &hash, now).await?;
        let revoked = deps.sessions.revoke_all(user_id, None, now).await?;
        tracing::info!(%user_id, revoked, "password reset");
        Ok(())
    }
}
