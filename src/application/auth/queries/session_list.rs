use std::sync::Arc;

use crate::application::auth::AuthDeps;
use crate::application::error::AppError;
use crate::application::ports::AccessClaims;
use crate::domain::auth::Session;

/// One row of the session list.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub session: Session,
    pub current: bool,
}

pub struct SessionListHandler(Arc<AuthDeps>);

impl SessionListHandler {
    pub fn new(deps: Arc<AuthDeps>) -> Self {
        Self(deps)
    }

    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn handle(&self, caller: AccessClaims) -> Result<Vec<SessionView>, AppError> {
        let sessions = self
            .0
            .sessions
            .list_live(caller.user_id, self.0.clock.now())
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
