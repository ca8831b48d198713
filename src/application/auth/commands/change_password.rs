use std::sync::Arc;

use crate::application::auth::{AuthDeps, ClientInfo};
use crate::application::error::AppError;
use crate::application::ports::AccessClaims;
use crate::domain::auth::{ActivityKind, Password};

pub struct ChangePassword {
    pub current_password: String,
    pub new_password: Password,
}

/// Changes the password and signs out every other device.
pub struct ChangePasswordHandler(Arc<AuthDeps>);

impl ChangePasswordHandler {
    pub fn new(deps: Arc<AuthDeps>) -> Self {
        Self(deps)
    }

    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn handle(
        &self,
        caller: AccessClaims,
        cmd: ChangePassword,
        client: ClientInfo,
    ) -> Result<(), AppError> {
        let deps = &self.0;
        deps.confirm_password(caller, cmd.current_password).await?;
        let hash = deps.hasher.hash(cmd.new_password).await?;
        let now = deps.clock.now();
        deps.accounts
            .set_password_hash(caller.user_id, &hash, now)
            .await?;
        deps.sessions
            .revoke_all(caller.user_id, Some(caller.session_id), now)
            .await?;
        let kind = ActivityKind::PasswordChanged;
        deps.note(caller.user_id, kind, &client, Some(caller.session_id))
            .await;
        tracing::info!("password changed");
        Ok(())
    }
}
