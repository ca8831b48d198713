use std::sync::Arc;

use crate::application::auth::AuthPorts;
use crate::application::error::AppError;
use crate::application::ports::{AccessClaims, AccessTokens, Clock};
use crate::domain::auth::SessionRepository;

/// Turns a bearer access token into the caller's identity.
pub struct Authenticate {
    tokens: Arc<dyn AccessTokens>,
    sessions: Arc<dyn SessionRepository>,
    clock: Arc<dyn Clock>,
}

impl Authenticate {
    pub fn new(ports: &AuthPorts) -> Self {
        Self {
            tokens: ports.tokens.clone(),
            sessions: ports.sessions.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Checks the signature and expiry, then that the session is still live, so that logout,
    /// revocation and password changes take effect at once rather than when the token expires.
    pub async fn handle(&self, bearer: &str) -> Result<AccessClaims, AppError> {
        let claims = self
            .tokens
            .verify(bearer)
            .ok_or(AppError::Unauthenticated("invalid_token"))?;
        if self.still_live(&claims).await? {
            Ok(claims)
        } else {
            Err(AppError::Unauthenticated("session_revoked"))
        }
    }

    /// Whether the session `claims` speak for is live now (a socket checks again once it is
    /// registered for the session's end).
    pub async fn still_live(&self, claims: &AccessClaims) -> Result<bool, AppError> {
        let session = self.sessions.find(claims.session_id).await?;
        Ok(session.is_some_and(|session| {
            session.user_id == claims.user_id && session.is_live(self.clock.now())
        }))
    }
}
