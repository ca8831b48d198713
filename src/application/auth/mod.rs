//! Auth use cases: registration, sign-in, token refresh, sessions, password change and reset.

pub mod commands;
pub mod queries;

use std::sync::Arc;
use std::time::Duration;

use crate::application::error::AppError;
use crate::application::ports::{
    AccessClaims, AccessToken, AccessTokens, Clock, Mailer, PasswordHasher, RateLimit, RateLimiter,
};
use crate::domain::auth::{
    AccountRepository, Device, OpaqueToken, PasswordResetRepository, Session, SessionPolicy,
    SessionRepository,
};
use crate::domain::shared::SessionId;
use crate::domain::users::User;

/// The ports every auth handler draws on.
pub struct AuthDeps {
    pub accounts: Arc<dyn AccountRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub resets: Arc<dyn PasswordResetRepository>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn AccessTokens>,
    pub limiter: Arc<dyn RateLimiter>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub policy: AuthPolicy,
}

/// Tunables of the auth context, from configuration.
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    pub sessions: SessionPolicy,
    pub reset_token_ttl: time::Duration,
    pub login_per_account: RateLimit,
    pub login_per_ip: RateLimit,
    pub register_per_ip: RateLimit,
    pub forgot_per_ip: RateLimit,
    pub reset_per_ip: RateLimit,
    pub forgot_per_email: RateLimit,
}

/// Where a request came from: the device the session is opened for.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub device: Device,
}

impl ClientInfo {
    fn ip_key(&self) -> &str {
        self.device.ip.as_deref().unwrap_or("unknown")
    }
}

/// What a successful sign-in hands the client.
#[derive(Debug, Clone)]
pub struct AuthGrant {
    pub user: User,
    pub session_id: SessionId,
    pub access: AccessToken,
    pub refresh_token: OpaqueToken,
    pub refresh_expires_at: time::OffsetDateTime,
}

impl AuthDeps {
    async fn start_session(&self, user: User, device: Device) -> Result<AuthGrant, AppError> {
        let now = self.clock.now();
        let session = Session::start(user.id, device, now, &self.policy.sessions);
        let refresh_token = OpaqueToken::generate();
        self.sessions
            .create(&session, &refresh_token.hash(), &self.policy.sessions)
            .await?;
        self.grant(user, &session, refresh_token)
    }

    fn grant(
        &self,
        user: User,
        session: &Session,
        refresh_token: OpaqueToken,
    ) -> Result<AuthGrant, AppError> {
        let claims = AccessClaims {
            user_id: user.id,
            session_id: session.id,
        };
        let access = self.tokens.issue(claims, self.clock.now())?;
        Ok(AuthGrant {
            user,
            session_id: session.id,
            access,
            refresh_token,
            refresh_expires_at: session.expires_at,
        })
    }

    async fn limit(&self, key: String, limit: RateLimit) -> Result<(), AppError> {
        self.limiter
            .hit(&key, limit)
            .await
            .map_err(|retry_after: Duration| AppError::RateLimited { retry_after })
    }
}

/// Every auth handler, built once at startup.
pub struct AuthHandlers {
    pub authenticate: queries::Authenticate,
    pub register: commands::RegisterHandler,
    pub login: commands::LoginHandler,
    pub refresh: commands::RefreshHandler,
    pub logout: commands::LogoutHandler,
    pub sessions: queries::SessionListHandler,
    pub revoke_session: commands::RevokeSessionHandler,
    pub revoke_other_sessions: commands::RevokeOtherSessionsHandler,
    pub change_password: commands::ChangePasswordHandler,
    pub forgot_password: commands::ForgotPasswordHandler,
    pub reset_password: commands::ResetPasswordHandler,
}

impl AuthHandlers {
    pub fn new(deps: AuthDeps) -> Self {
        let deps = Arc::new(deps);
        Self {
            authenticate: queries::Authenticate::new(deps.clone()),
            register: commands::RegisterHandler::new(deps.clone()),
            login: commands::LoginHandler::new(deps.clone()),
            refresh: commands::RefreshHandler::new(deps.clone()),
            logout: commands::LogoutHandler::new(deps.clone()),
            sessions: queries::SessionListHandler::new(deps.clone()),
            revoke_session: commands::RevokeSessionHandler::new(deps.clone()),
            revoke_other_sessions: commands::RevokeOtherSessionsHandler::new(deps.clone()),
            change_password: commands::ChangePasswordHandler::new(deps.clone()),
            forgot_password: commands::ForgotPasswordHandler::new(deps.clone()),
            reset_password: commands::ResetPasswordHandler::new(deps),
        }
    }
}
