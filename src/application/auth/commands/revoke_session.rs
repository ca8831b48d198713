use std::sync::Arc;

use crate::application::auth::{AuthDeps, ClientInfo};
use crate::application::error::AppError;
use crate::application::ports::AccessClaims;
use crate::domain::auth::ActivityKind;
use crate::domain::shared::SessionId;

/// Signs one of the caller's devices out.
pub struct RevokeSessionHandler(Arc<AuthDeps>);

impl RevokeSessionHandler {
    pub fn new(deps: Arc<AuthDeps>) -> Self {
        Self(deps)
    }

    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, %session_id))]
    pub async fn handle(
        &self,
        caller: AccessClaims,
        session_id: SessionId,
        client: ClientInfo,
    ) -> Result<(), AppError> {
        let now = self.0.clock.now();
        // Someone else's session and no session look the same.
        if self
            .0
            .sessions
            .revoke(caller.user_id, session_id, now)
            .await?
        {
            let kind = ActivityKind::SessionRevoked;
            self.0
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
pub struct RevokeOtherSessionsHandler(Arc<AuthDeps>);

impl RevokeOtherSessionsHandler {
    pub fn new(deps: Arc<AuthDeps>) -> Self {
        Self(deps)
    }

    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn handle(
        &self,
        caller: AccessClaims,
        password: String,
        client: ClientInfo,
    ) -> Result<u64, AppError> {
        let deps = &self.0;
        deps.confirm_password(caller, password).await?;
        let revoked = deps
            .sessions
            .revoke_all(caller.user_id, Some(caller.session_id), deps.clock.now())
            .await?;
        let kind = ActivityKind::OtherSessionsRevoked;
        deps.note(caller.user_id, kind, &client, Some(caller.session_id))
            .await;
        Ok(revoked)
    }
}

impl AuthDeps {
    /// Re-authentication for sensitive actions. Failures count per session, so a thief
    /// guessing with a stolen session cannot stop the owner from revoking it.
    pub(super) async fn confirm_password(
        &self,
        caller: AccessClaims,
        password: String,
    ) -> Result<(), AppError> {
        let account = self.accounts.find(caller.user_id).await?;
        let hash = account.map(|a| a.password_hash);
        let failures = format!("confirm-failed:{}:{}", caller.user_id, caller.session_id);
        if self.verify_password(failures, password, hash).await? {
            Ok(())
        } else {
            Err(AppError::Forbidden("invalid_password"))
        }
    }
}
