use std::sync::Arc;

use crate::application::auth::{AuthGrant, AuthPorts, SessionIssuer};
use crate::application::error::AppError;
use crate::application::ports::Clock;
use crate::domain::auth::{
    AccountRepository, OpaqueToken, Rotation, SessionPolicy, SessionRepository,
};

pub struct Refresh {
    pub refresh_token: OpaqueToken,
}

pub struct RefreshHandler {
    sessions: Arc<dyn SessionRepository>,
    accounts: Arc<dyn AccountRepository>,
    clock: Arc<dyn Clock>,
    policy: SessionPolicy,
    issuer: SessionIssuer,
}

impl RefreshHandler {
    pub fn new(ports: &AuthPorts) -> Self {
        Self {
            sessions: ports.sessions.clone(),
            accounts: ports.accounts.clone(),
            clock: ports.clock.clone(),
            policy: ports.policy.sessions,
            issuer: SessionIssuer::new(ports),
        }
    }

    /// Rotates the refresh token. Presenting an already rotated token means it leaked (or the
    /// client replayed it): the whole session is revoked, as OAuth 2.0 Security BCP advises.
    #[tracing::instrument(skip_all)]
    pub async fn handle(&self, cmd: Refresh) -> Result<AuthGrant, AppError> {
        let next = OpaqueToken::generate();
        let now = self.clock.now();
        let rotation = self
            .sessions
            .rotate(&cmd.refresh_token.hash(), &next.hash(), now, &self.policy)
            .await?;
        let session = match rotation {
            Rotation::Rotated(session) => session,
            Rotation::Reused(session_id) => {
                tracing::warn!(%session_id, "refresh token reused; session revoked");
                return Err(AppError::Unauthenticated("refresh_token_reused"));
            }
            Rotation::Invalid => return Err(AppError::Unauthenticated("invalid_refresh_token")),
        };
        let account = self
            .accounts
            .find(session.user_id)
            .await?
            .ok_or(AppError::Unauthenticated("invalid_refresh_token"))?;
        self.issuer.grant(account.user, &session, next)
    }
}
