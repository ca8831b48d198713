use std::sync::Arc;

use crate::application::auth::{AuthDeps, AuthGrant};
use crate::application::error::AppError;
use crate::domain::auth::{OpaqueToken, Rotation};

pub struct Refresh {
    pub refresh_token: OpaqueToken,
}

pub struct RefreshHandler(Arc<AuthDeps>);

impl RefreshHandler {
    pub fn new(deps: Arc<AuthDeps>) -> Self {
        Self(deps)
    }

    /// Rotates the refresh token. Presenting an already rotated token means it leaked (or the
    /// client replayed it): the whole session is revoked, as OAuth 2.0 Security BCP advises.
    #[tracing::instrument(skip_all)]
    pub async fn handle(&self, cmd: Refresh) -> Result<AuthGrant, AppError> {
        let deps = &self.0;
        let next = OpaqueToken::generate();
        let now = deps.clock.now();
        let rotation = deps
            .sessions
            .rotate(
                &cmd.refresh_token.hash(),
                &next.hash(),
                now,
                &deps.policy.sessions,
            )
            .await?;
        let session = match rotation {
            Rotation::Rotated(session) => session,
            Rotation::Reused(session_id) => {
                tracing::warn!(%session_id, "refresh token reused; session revoked");
                return Err(AppError::Unauthenticated("refresh_token_reused"));
            }
            Rotation::Invalid => return Err(AppError::Unauthenticated("invalid_refresh_token")),
        };
        let account = deps
            .accounts
            .find(session.user_id)
            .await?
            .ok_or(AppError::Unauthenticated("invalid_refresh_token"))?;
        deps.grant(account.user, &session, next)
    }
}
