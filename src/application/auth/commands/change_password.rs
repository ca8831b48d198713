use std::sync::Arc;

use crate::application::auth::{ActivityLog, AuthPorts, ClientInfo, PasswordCheck};
use crate::application::error::AppError;
use crate::application::ports::{AccessClaims, Clock, PasswordHasher};
use crate::domain::auth::{AccountRepository, ActivityKind, Password, SessionRepository};

pub struct ChangePassword {
    pub current_password: String,
    pub new_password: Password,
}

/// Changes the password and signs out every other device.
pub struct ChangePasswordHandler {
    accounts: Arc<dyn AccountRepository>,
    sessions: Arc<dyn SessionRepository>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    passwords: PasswordCheck,
    log: ActivityLog,
}

impl ChangePasswordHandler {
    pub fn new(ports: &AuthPorts) -> Self {
        Self {
            accounts: ports.accounts.clone(),
            sessions: ports.sessions.clone(),
            hasher: ports.hasher.clone(),
            clock: ports.clock.clone(),
            passwords: PasswordCheck::new(ports),
            log: ActivityLog::new(ports),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn handle(
        &self,
        caller: AccessClaims,
        cmd: ChangePassword,
        client: ClientInfo,
    ) -> Result<(), AppError> {
        self.passwords.confirm(caller, cmd.current_password).await?;
        let hash = self.hasher.hash(cmd.new_password).await?;
        let now = self.clock.now();
        self.accounts
            .set_password_hash(caller.user_id, &hash, now)
            .await?;
        self.sessions
            .revoke_all(caller.user_id, Some(caller.session_id), now)
            .await?;
        let kind = ActivityKind::PasswordChanged;
        self.log
            .note(caller.user_id, kind, &client, Some(caller.session_id))
            .await;
        tracing::info!("password changed");
        Ok(())
    }
}
