//! Auth use cases: registration, sign-in, token refresh, sessions, password change and reset.

pub mod commands;
pub mod queries;

use std::sync::Arc;

use crate::application::error::AppError;
use crate::application::ports::{
    AccessClaims, AccessToken, AccessTokens, Clock, Mailer, PasswordHasher, RateLimit, RateLimiter,
};
use crate::domain::auth::{
    AccountRepository, Activity, ActivityKind, ActivityRepository, Device, OpaqueToken,
    PasswordHash, PasswordResetRepository, Session, SessionPolicy, SessionRepository,
};
use crate::domain::shared::{SessionId, UserId};
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
    pub activity: Arc<dyn ActivityRepository>,
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
    /// The client's network for rate limits: its IPv4 address, or its IPv6 /64 (one
    /// subscriber's usual allocation, so hopping addresses within it does not help).
    fn ip_key(&self) -> String {
        network_key(self.device.ip.as_deref())
    }
}

fn network_key(ip: Option<&str>) -> String {
    match ip.and_then(|ip| ip.parse::<std::net::IpAddr>().ok()) {
        Some(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(std::net::IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map(|v4| v4.to_string())
            .unwrap_or_default(),
        Some(ip) => ip.to_string(),
        None => "unknown".to_owned(),
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

    /// Adds to the owner's activity log. Best effort: the action stands if the log fails.
    async fn note(
        &self,
        user: UserId,
        kind: ActivityKind,
        client: &ClientInfo,
        session: Option<SessionId>,
    ) {
        let activity = Activity::new(user, kind, client.device.clone(), session, self.clock.now());
        if let Err(error) = self.activity.record(&activity).await {
            tracing::warn!(%error, kind = kind.as_str(), "activity not recorded");
        }
    }

    async fn limit(&self, key: String, limit: RateLimit) -> Result<(), AppError> {
        Ok(self.limiter.hit(&key, limit).await?)
    }

    /// Checks `password` against `hash` (`None`: no such account, at the same cost), refused
    /// while `failures` has failed `login_per_account` times. Only a failure counts, so nobody
    /// else's failures lock out a client that is not failing.
    async fn verify_password(
        &self,
        failures: String,
        password: String,
        hash: Option<PasswordHash>,
    ) -> Result<bool, AppError> {
        let (key, limit) = (failures, self.policy.login_per_account);
        self.limiter.peek(&key, limit).await?;
        let verified = self.hasher.verify(password, hash).await?;
        if !verified {
            // Counted even past the limit's edge: the answer to this attempt stays 401/403.
            let _ = self.limiter.hit(&key, limit).await;
        }
        Ok(verified)
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
    pub activity: queries::ActivityHandler,
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
            activity: queries::ActivityHandler::new(deps.clone()),
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
