use std::sync::Arc;

use crate::application::auth::{ActivityLog, AuthPorts, ClientInfo, PasswordCheck};
use crate::application::error::AppError;
use crate::application::ports::{AccessClaims, Clock};
use crate::domain::auth::{ActivityKind, SessionRepository};
use crate::domain::shared::SessionId;

/// Signs one of the caller's devices out.
pub struct RevokeSessionHandler {
    sessions: Arc<dyn SessionRepository>,
    clock: Arc<dyn Clock>,
    log: ActivityLog,
}

impl RevokeSessionHandler {
    pub fn new(ports: &AuthPorts) -> Self {
        Self {
            sessions: ports.sessions.clone(),
            clock: ports.clock.clone(),
            log: ActivityLog::new(ports),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, %session_id))]
    pub async fn handle(
        &self,
        caller: AccessClaims,
        session_id: SessionId,
        client: ClientInfo,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        // Someone else's session and no session look the same.
        if self
            .sessions
            .revoke(caller.user_id, session_id, now)
            .await?
        {
            let kind = ActivityKind::SessionRevoked;
            self.log
                .note(caller.user_id, kind, &client, Some(session_id))
                .await;
            Ok(())
        } else {
            Err(AppError::NotFound("session_not_found"))
        }
    }
}

/// Signs out every device but the current one; asks for the password again, since a stolen
/// access token alone must not be able to lock the owner out.
pub struct RevokeOtherSessionsHandler {
    sessions: Arc<dyn SessionRepository>,
    clock: Arc<dyn Clock>,
    passwords: PasswordCheck,
    log: ActivityLog,
}

impl RevokeOtherSessionsHandler {
    pub fn new(ports: &AuthPorts) -> Self {
        Self {
            sessions: ports.sessions.clone(),
            clock: ports.clock.clone(),
            passwords: PasswordCheck::new(ports),
            log: ActivityLog::new(ports),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn handle(
        &self,
        caller: AccessClaims,
        password: String,
        client: ClientInfo,
    ) -> Result<u64, AppError> {
        self.passwords.confirm(caller, password).await?;
        let revoked = self
            .sessions
            .revoke_all(caller.user_id, Some(caller.session_id), self.clock.now())
            .await?;
        let kind = ActivityKind::OtherSessionsRevoked;
        self.log
            .note(caller.user_id, kind, &client, Some(caller.session_id))
            .await;
        Ok(revoked)
    }
}
