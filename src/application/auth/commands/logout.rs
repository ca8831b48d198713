use std::sync::Arc;

use crate::application::auth::{ActivityLog, AuthPorts, ClientInfo};
use crate::application::error::AppError;
use crate::application::ports::{AccessClaims, Clock};
use crate::domain::auth::{ActivityKind, SessionRepository};

/// Ends the caller's own session: its access and refresh tokens stop working at once.
pub struct LogoutHandler {
    sessions: Arc<dyn SessionRepository>,
    clock: Arc<dyn Clock>,
    log: ActivityLog,
}

impl LogoutHandler {
    pub fn new(ports: &AuthPorts) -> Self {
        Self {
            sessions: ports.sessions.clone(),
            clock: ports.clock.clone(),
            log: ActivityLog::new(ports),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn handle(&self, caller: AccessClaims, client: ClientInfo) -> Result<(), AppError> {
        let now = self.clock.now();
        if self
            .sessions
            .revoke(caller.user_id, caller.session_id, now)
            .await?
        {
            let session = Some(caller.session_id);
            self.log
                .note(caller.user_id, ActivityKind::Logout, &client, session)
                .await;
        }
        Ok(())
    }
}
