use std::sync::Arc;

use crate::application::auth::{AuthDeps, ClientInfo};
use crate::application::error::AppError;
use crate::application::ports::AccessClaims;
use crate::domain::auth::ActivityKind;

/// Ends the caller's own session: its access and refresh tokens stop working at once.
pub struct LogoutHandler(Arc<AuthDeps>);

impl LogoutHandler {
    pub fn new(deps: Arc<AuthDeps>) -> Self {
        Self(deps)
    }

    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn handle(&self, caller: AccessClaims, client: ClientInfo) -> Result<(), AppError> {
        let now = self.0.clock.now();
        if self
            .0
            .sessions
            .revoke(caller.user_id, caller.session_id, now)
            .await?
        {
            let session = Some(caller.session_id);
            self.0
                .note(caller.user_id, ActivityKind::Logout, &client, session)
                .await;
        }
        Ok(())
    }
}
