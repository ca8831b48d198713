use std::sync::Arc;

use crate::application::auth::AuthPorts;
use crate::application::error::AppError;
use crate::application::ports::{AccessClaims, Clock};
use crate::domain::auth::{Session, SessionRepository};

/// One row of the session list.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub session: Session,
    pub current: bool,
}

/// The caller's live sessions, the current one marked.
pub struct SessionListHandler {
    sessions: Arc<dyn SessionRepository>,
    clock: Arc<dyn Clock>,
}

impl SessionListHandler {
    pub fn new(ports: &AuthPorts) -> Self {
        Self {
            sessions: ports.sessions.clone(),
            clock: ports.clock.clone(),
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn handle(&self, caller: AccessClaims) -> Result<Vec<SessionView>, AppError> {
        let sessions = self
            .sessions
            .list_live(caller.user_id, self.clock.now())
            .await?;
        Ok(sessions
            .into_iter()
            .map(|session| SessionView {
                current: session.id == caller.session_id,
                session,
            })
            .collect())
    }
}
